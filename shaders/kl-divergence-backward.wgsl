// Backward of the distillation loss L = scale' * sum_rows kl_row, where the caller's
// loss is T^2 / N * sum kl. With z = x / T and g = dy * T / N (passed as `scale`):
//   d/d student_j = g (q_j - p_j)
//   d/d teacher_j = g p_j (log p_j - log q_j - kl_row)
// One thread per element; the teacher gradient is written only when writeTeacher != 0.

struct Params { n: u32, classes: u32, invT: f32, scale: f32, writeTeacher: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read> student: array<f32>;
@group(0) @binding(1) var<storage, read> teacher: array<f32>;
@group(0) @binding(2) var<storage, read> kl: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<vec4f>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dStudent: array<f32>;
@group(0) @binding(6) var<storage, read_write> dTeacher: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let row = i / p.classes;
  let st = stats[row];
  let logQ = (student[i] - st.x) * p.invT - st.y;
  let logP = (teacher[i] - st.z) * p.invT - st.w;
  let prob = exp(logP);
  let g = dy[0] * p.scale;

  dStudent[i] = g * (exp(logQ) - prob);
  if (p.writeTeacher != 0u) {
    dTeacher[i] = g * prob * (logP - logQ - kl[row]);
  }
}
