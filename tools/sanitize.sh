#!/usr/bin/env bash
# Build the extension with AddressSanitizer + UndefinedBehaviorSanitizer and run the whole test suite under it.
#
#   bash tools/sanitize.sh                  # fresh venv .venv-asan, build in build/asan, run pytest
#   bash tools/sanitize.sh tests/test_knn.py -x   # extra arguments go to pytest
#
# Python itself is not instrumented, so the ASan runtime is preloaded; leak checking is off because CPython and
# torch keep allocations alive until exit by design. Any ASan or UBSan report aborts the run (non-zero exit).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-asan
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
V2V_SANITIZE=address,undefined "$venv/bin/pip" install -q \
  -Ccmake.build-type=RelWithDebInfo -Cbuild-dir=build/asan "torch==2.13.0" ".[test]"

libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
libstdcxx=$(gcc -print-file-name=libstdc++.so)
export LD_PRELOAD="$libasan $libubsan $libstdcxx"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:strict_init_order=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# pyarrow's jemalloc pool and the ASan allocator cannot share a process: use the system allocator under ASan.
export ARROW_DEFAULT_MEMORY_POOL=system
"$venv/bin/python" -c "import vec2vec_fast as v; f = v.build_info()['flags']; assert 'sanitize' in f, f" \
  || { echo "sanitize.sh: the installed extension is not a sanitizer build" >&2; exit 1; }
if [ "$#" -gt 0 ]; then
  exec "$venv/bin/python" -m pytest -p no:cacheprovider "$@"
fi
# The whole suite, in two processes: the Ctrl-C timing tests pass alone under the sanitizers, but after the GAN and
# Dask tests in the same (10x slower) instrumented process two failed and the QAP one never stopped, with no
# sanitizer report: an interaction not yet diagnosed, so they run in a process of their own.
"$venv/bin/python" -m pytest -p no:cacheprovider -q -m "" --ignore=tests/test_interrupt_and_gil.py
"$venv/bin/python" -m pytest -p no:cacheprovider -q -m "" tests/test_interrupt_and_gil.py
