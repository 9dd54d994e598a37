# Sourced by each page's script (tests/docs/extract.py writes them) inside
# the clean root: runs a block as written and compares its shown output.
# A failure names the page and line of the block; tests/docs/inside.sh counts.

run_block() { # where n  (the block on stdin)
    local where=$1 n=$2 status
    cat >".block-$n.sh"
    echo "---- $where"
    sed 's/^/   $ /' ".block-$n.sh" | head -n 40
    bash -eo pipefail ".block-$n.sh" >".out-$n" 2>".err-$n" </dev/null
    status=$?
    sed 's/^/   | /' ".out-$n" | head -n 60
    if [ $status -ne 0 ]; then
        echo "FAIL $where: the block exited with $status; its stderr:"
        sed 's/^/   ! /' ".err-$n" | tail -n 30
        echo "FAIL $where" >>/tmp/docs/failures
    fi
}

compare_output() { # where n mask... (the shown output on stdin)
    local where=$1 n=$2 mask sedargs=() d=$'\001'
    local expected=".shown-$n"
    shift 2
    cat >"$expected"
    # A control character as the delimiter: masks may hold / and |.
    for mask in "$@"; do sedargs+=(-e "s${d}${mask}${d}<masked>${d}g"); done
    [ ${#sedargs[@]} -gt 0 ] || sedargs=(-e '')
    if diff -u <(sed -E "${sedargs[@]}" "$expected") <(sed -E "${sedargs[@]}" ".out-$n") >".diff-$n"; then
        echo "ok   $where: the output is the one shown"
    else
        echo "FAIL $where: the output differs from the one shown (- shown, + printed):"
        sed 's/^/   /' ".diff-$n"
        echo "FAIL $where" >>/tmp/docs/failures
    fi
}
