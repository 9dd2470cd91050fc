// The figures both benchmarks report: the median and the 99th percentile of a list of milliseconds.

function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

export const summary = (values) => ({
  p50: Number(percentile(values, 0.5).toFixed(3)),
  p99: Number(percentile(values, 0.99).toFixed(3)),
});
