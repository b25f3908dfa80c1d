# Sourced by the bench scripts: what they share.

# stop_server: stops the server whose pid is in $server_pid (TERM, up to 10 s for a clean stop, then KILL) and clears it.
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# replace_section TITLE SECTION_FILE OUT: puts SECTION_FILE (which begins with the line
# TITLE, e.g. "## SQLite ledger") in OUT in place of the section of that title, up to the next "## " heading, or at
# the end of OUT when it has none; the rest of OUT stays as it was. OUT is created if missing.
replace_section() {
  local title="$1" section="$2" out="$3"
  [ -f "$out" ] || : >"$out"
  awk -v section="$section" -v title="$title" '
    function put() { last = ""; while ((getline line < section) > 0) { print line; last = line } close(section); if (last != "") print ""; done = 1 }
    $0 == title { put(); skip = 1; next }
    skip && /^## / { skip = 0 }
    skip { next }
    { print }
    END { if (!done) { if (NR > 0) print ""; put() } }' "$out" >"$out.tmp"
  mv "$out.tmp" "$out"
}

# The Markdown headers of Coditect.Bench's --markdown rows (Report.SummaryHeader) and --steps-markdown rows
# (Report.StepsHeader): keep them in step with Report.cs.
summary_header() {
  echo "| backend | server processes | scenario | operation | highest zero-error rate (/s) | achieved (/s) | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | first failing step | machine limit (/s) | ratio | target | server RSS MB (start → end) | CPU at that rate |"
  echo "| --- | --: | --- | --- | --: | --: | --: | --: | --: | --: | --: | --- | --: | --: | --- | --- | --- |"
}
steps_header() {
  echo "| backend | server processes | scenario | offered rate (/s) | operation | ok | achieved (/s) | p50 ms | p99 ms | p99.9 ms | max ms | non-2xx | transport errors | dropped | result | CPU |"
  echo "| --- | --: | --- | --: | --- | --: | --: | --: | --: | --: | --: | --- | --- | --: | --- | --- |"
}
