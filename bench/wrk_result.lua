-- The done() of the benchmark's wrk scripts: one line "BENCH-RESULT {json}" that bench/load.py
-- reads. Loaded with dofile() (wrk runs from the repository's root).

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "max": %.0f, "p50": %.0f, "p90": %.0f, "p95": %.0f, "p99": %.0f, "p99_9": %.0f}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency:percentile(99.9)
  ))
end
