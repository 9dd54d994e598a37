import sys
from pathlib import Path

# The sandbox helper (dargah_sandbox) is shared with the wheel's own tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tests" / "python"))
