#!/usr/bin/env bash
# What the test kit (dargah.testing: the sandbox compiled into the extension,
# cargo feature `testkit`) costs the production path: the extension's size
# and `import dargah` time, from two release wheels built with and without it.
# Run from the repository root: ./python/bench/import_cost.sh (make python-import-cost).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build/python
for variant in kit nokit; do
    flags=()
    [ "$variant" = nokit ] && flags=(--no-default-features)
    rm -rf "$B/dist-release-$variant"
    (cd python && "../$B/tools/bin/maturin" build --quiet --release "${flags[@]}" --out "../$B/dist-release-$variant")
    python3 -m venv --clear "$B/venv-$variant"
    "$B/venv-$variant/bin/pip" install -q --no-deps "$B"/dist-release-$variant/dargah-*.whl
done
"$B/venv-kit/bin/python" - "$B" <<'PY'
import glob, os, statistics, subprocess, sys
build = sys.argv[1]

def median_ms(python, code, runs=30):
    times = []
    for _ in range(runs):
        out = subprocess.run([python, "-c", f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"],
                             capture_output=True, text=True, check=True, cwd="/").stdout
        times.append(float(out) * 1000)
    return statistics.median(times)

for variant in ("nokit", "kit"):
    python = f"{build}/venv-{variant}/bin/python"
    so = glob.glob(f"{build}/venv-{variant}/lib/python3*/site-packages/dargah/_native*.so")[0]
    wheel = glob.glob(f"{build}/dist-release-{variant}/dargah-*.whl")[0]
    line = (f"{variant:>5}: _native.so {os.path.getsize(so) / 1e6:.2f} MB, wheel {os.path.getsize(wheel) / 1e6:.2f} MB, "
            f"import dargah {median_ms(python, 'import dargah'):.1f} ms (median of 30)")
    if variant == "kit":
        line += f", import dargah.testing {median_ms(python, 'import dargah.testing'):.1f} ms"
        line += f", start+stop a sandbox {median_ms(python, 'import dargah.testing as t; t.Sandbox().stop()', 10):.1f} ms"
    print(line)
PY
