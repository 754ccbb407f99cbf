// Team reductions of the row kernels (src/ops/row-layout.ts): a team of TPR threads
// folds one row, WG threads per workgroup. The including shader declares TPR, WG and
// `alias TeamValue` (f32 or a float vector). Every thread of the workgroup must call
// these, active or not, because they have barriers. Both end with a barrier, so a
// following call may overwrite `partial`.
var<workgroup> partial: array<TeamValue, WG>;

fn teamSum(v: TeamValue, lid: u32, lane: u32) -> TeamValue {
  if (TPR == 1u) { return v; }
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { partial[lid] = partial[lid] + partial[lid + stride]; }
    workgroupBarrier();
  }
  let total = partial[lid - lane];
  workgroupBarrier();
  return total;
}

fn teamMax(v: TeamValue, lid: u32, lane: u32) -> TeamValue {
  if (TPR == 1u) { return v; }
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { partial[lid] = max(partial[lid], partial[lid + stride]); }
    workgroupBarrier();
  }
  let total = partial[lid - lane];
  workgroupBarrier();
  return total;
}
