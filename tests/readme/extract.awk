# Extract the commands of a Markdown file's ```sh blocks, in order, as one
# bash script; ```sh norun blocks are left out. Before each block the script
# prints the block (file:line and its lines) on stderr, then runs it.
# Fences must start their line. A ```bash, ```shell or ```console block, or
# any other word after ```sh, is an error: every shell block is either run
# or marked norun.
# Usage: awk -v file=README.md -f extract.awk README.md
BEGIN { inblock = 0; n = 0 }
/^```/ {
  if (inblock) { # closing fence
    if (run) { printf "README_BLOCK_%d\n%s", n, body; body = "" }
    inblock = 0; next
  }
  info = substr($0, 4); sub(/[ \t]+$/, "", info)
  inblock = 1; run = 0; start = NR
  if (info == "sh") {
    run = 1; n++
    printf "\n# %s:%d\n", file, NR
    printf "printf '\\n+ %s:%d\\n' >&2\ncat >&2 <<'README_BLOCK_%d'\n", file, NR, n
  } else if (info == "sh norun") {
    # documented, not run
  } else if (info ~ /^(sh|bash|shell|console|zsh)([ \t]|$)/) {
    printf "%s:%d: shell block marked \"%s\": use ```sh (run) or ```sh norun\n", file, NR, info > "/dev/stderr"
    bad = 1
  }
  next
}
inblock && run { print; body = body $0 "\n" }
END {
  if (inblock) { printf "%s:%d: block not closed\n", file, start > "/dev/stderr"; bad = 1 }
  if (n == 0) { printf "%s: no ```sh block to run\n", file > "/dev/stderr"; bad = 1 }
  exit bad
}
