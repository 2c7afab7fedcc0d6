# Process supervision for scripts/run (sourced): start long-running children in the background, then wait.
# SIGTERM, SIGINT (Ctrl-C) or the exit of any child stops all of them: bash runs a trap only between
# commands, so a server in the foreground would keep the trap waiting until it exited by itself.
CHILD_PIDS=()

start_child() {
  "$@" &
  CHILD_PIDS+=("$!")
}

stop_children() {
  trap - INT TERM EXIT
  local pid
  for pid in "${CHILD_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CHILD_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

wait_children() {
  trap 'stop_children; exit 130' INT
  trap 'stop_children; exit 143' TERM
  trap 'stop_children' EXIT
  # Returns when the first child exits (or a signal arrives); then the rest are stopped too.
  wait -n "${CHILD_PIDS[@]}"
  local status=$?
  stop_children
  return "$status"
}
