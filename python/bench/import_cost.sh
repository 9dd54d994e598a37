#!/usr/bin/env bash
# What the test kit (dargah.testing: the sandbox compiled into the extension,
# cargo feature `testkit`) costs the production path: the extension's size
# and `import dargah` time, from two release wheels built with and without it.
# Run from the repository root: ./python/bench/import_cost.sh (make python-import-cost).
set -euo pipefail
cd "$(dirname "$0")/../.."
B="$PWD/build/python"
for variant in kit nokit; do
    flags=()
    [ "$variant" = nokit ] && flags=(--no-default-features)
    rm -rf "$B/dist-release-$variant"
    (cd python && "$B/tools/bin/maturin" build --quiet --release "${flags[@]}" --out "$B/dist-release-$variant")
    python3 -m venv --clear "$B/venv-$variant"
    "$B/venv-$variant/bin/pip" install -q --no-deps "$B"/dist-release-$variant/dargah-*.whl
done
"$B/venv-kit/bin/python" - "$B" <<'PY'
# Fresh interpreters, the two variants interleaved so a busy machine slows both alike.
import glob, os, statistics, subprocess, sys
build = sys.argv[1]
RUNS = 80

def so_of(variant):
    return glob.glob(f"{build}/venv-{variant}/lib/python3*/site-packages/dargah/_native*.so")[0]

def once_ms(variant, code):
    code = code.replace("SO", repr(so_of(variant)))
    program = f"import time, ctypes; t0 = time.perf_counter(); {code}; print(time.perf_counter() - t0)"
    out = subprocess.run([f"{build}/venv-{variant}/bin/python", "-c", program], capture_output=True, text=True, check=True, cwd="/").stdout
    return float(out) * 1000

def timed(code, variants=("nokit", "kit"), runs=RUNS):
    samples = {v: [] for v in variants}
    for _ in range(runs):
        for v in variants:
            samples[v].append(once_ms(v, code))
    return {v: f"{statistics.median(x):.2f} / {min(x):.2f} ms" for v, x in samples.items()}

imports, dlopen = timed("import dargah"), timed("ctypes.CDLL(SO)")
for variant in ("nokit", "kit"):
    so = so_of(variant)
    wheel = glob.glob(f"{build}/dist-release-{variant}/dargah-*.whl")[0]
    relocations = subprocess.run(["readelf", "-r", so], capture_output=True, text=True).stdout.count("R_X86_64")
    print(f"{variant:>5}: _native.so {os.path.getsize(so) / 1e6:.2f} MB ({relocations} relocations), wheel {os.path.getsize(wheel) / 1e6:.2f} MB, "
          f"import dargah {imports[variant]}, dlopen _native.so {dlopen[variant]} (median / best of {RUNS})")
kit = timed("import dargah.testing", ("kit",), 30)["kit"]
started = timed("import dargah.testing as kit; kit.Sandbox().stop()", ("kit",), 10)["kit"]
print(f"  kit: import dargah.testing {kit}; import it, start and stop a sandbox {started}")
PY
