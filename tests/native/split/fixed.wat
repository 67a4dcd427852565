;; A table filled once and never changed: wasm2c-split.awk writes it out at
;; build time (CALL_FIXED). Index 3 has the wrong signature for the call.
(module
  (type $unary (func (param i32) (result i32)))
  (type $nullary (func (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "split")
  (table 5 5 funcref)
  (elem (i32.const 1) $double $inc $seven)
  (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  (func $inc (type $unary) (i32.add (local.get 0) (i32.const 1)))
  (func $seven (type $nullary) (i32.const 7))
  (func (export "call") (param $index i32) (param $arg i32) (result i32)
    (call_indirect (type $unary) (local.get $arg) (local.get $index))))
