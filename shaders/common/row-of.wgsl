// Returns i / cols for a flat index i of a [rows, cols] grid, with one f32 division and
// a one-step correction: exact for i < 2^24, also where the division is not correctly
// rounded (WGSL allows 2.5 ULP). llvmpipe runs vector integer division lane by lane.
fn rowOf(i: u32, cols: u32, colsF: f32) -> u32 {
  var row = u32(f32(i) / colsF);
  if (row * cols > i) { row -= 1u; }
  if ((row + 1u) * cols <= i) { row += 1u; }
  return row;
}
