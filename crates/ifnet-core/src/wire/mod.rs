//! Link-layer wire formats: checked views over byte buffers and `Repr`
//! types that parse and emit them (smoltcp's `wire` style).
