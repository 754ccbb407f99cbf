// A bit test, because compilers may fold `v != v` to false (lavapipe does).
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
