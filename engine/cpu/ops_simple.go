// One method per operation that takes no attributes beyond its operands and
// axes: each records the operation and how to replay it on the pure-Go
// backend (see Builder.op); the kernels are chosen at compile time.

package cpu

import "github.com/gomlx/gomlx/backends"

// Abs implements backends.StandardOps.
func (b *Builder) Abs(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeAbs, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Abs(in[0]) }))
}

// BitCount implements backends.StandardOps.
func (b *Builder) BitCount(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeBitCount, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.BitCount(in[0]) }))
}

// BitwiseNot implements backends.StandardOps.
func (b *Builder) BitwiseNot(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeBitwiseNot, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.BitwiseNot(in[0]) }))
}

// Ceil implements backends.StandardOps.
func (b *Builder) Ceil(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeCeil, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Ceil(in[0]) }))
}

// Clz implements backends.StandardOps.
func (b *Builder) Clz(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeClz, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Clz(in[0]) }))
}

// Conj implements backends.StandardOps.
func (b *Builder) Conj(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeConj, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Conj(in[0]) }))
}

// Cos implements backends.StandardOps.
func (b *Builder) Cos(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeCos, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Cos(in[0]) }))
}

// Erf implements backends.StandardOps.
func (b *Builder) Erf(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeErf, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Erf(in[0]) }))
}

// Exp implements backends.StandardOps.
func (b *Builder) Exp(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeExp, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Exp(in[0]) }))
}

// Expm1 implements backends.StandardOps.
func (b *Builder) Expm1(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeExpm1, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Expm1(in[0]) }))
}

// Floor implements backends.StandardOps.
func (b *Builder) Floor(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeFloor, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Floor(in[0]) }))
}

// Identity implements backends.StandardOps.
func (b *Builder) Identity(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeIdentity, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Identity(in[0]) }))
}

// Imag implements backends.StandardOps.
func (b *Builder) Imag(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeImag, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Imag(in[0]) }))
}

// IsFinite implements backends.StandardOps.
func (b *Builder) IsFinite(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeIsFinite, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.IsFinite(in[0]) }))
}

// IsNaN implements backends.StandardOps.
func (b *Builder) IsNaN(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeIsNaN, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.IsNaN(in[0]) }))
}

// Log implements backends.StandardOps.
func (b *Builder) Log(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLog, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Log(in[0]) }))
}

// Log1p implements backends.StandardOps.
func (b *Builder) Log1p(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLog1p, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Log1p(in[0]) }))
}

// LogicalNot implements backends.StandardOps.
func (b *Builder) LogicalNot(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLogicalNot, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.LogicalNot(in[0]) }))
}

// Logistic implements backends.StandardOps.
func (b *Builder) Logistic(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLogistic, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Logistic(in[0]) }))
}

// Neg implements backends.StandardOps.
func (b *Builder) Neg(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeNeg, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Neg(in[0]) }))
}

// Real implements backends.StandardOps.
func (b *Builder) Real(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeReal, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Real(in[0]) }))
}

// Round implements backends.StandardOps.
func (b *Builder) Round(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeRound, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Round(in[0]) }))
}

// Rsqrt implements backends.StandardOps.
func (b *Builder) Rsqrt(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeRsqrt, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Rsqrt(in[0]) }))
}

// Sign implements backends.StandardOps.
func (b *Builder) Sign(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeSign, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Sign(in[0]) }))
}

// Sin implements backends.StandardOps.
func (b *Builder) Sin(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeSin, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Sin(in[0]) }))
}

// Sqrt implements backends.StandardOps.
func (b *Builder) Sqrt(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeSqrt, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Sqrt(in[0]) }))
}

// Tanh implements backends.StandardOps.
func (b *Builder) Tanh(x backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeTanh, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Tanh(in[0]) }))
}

// Add implements backends.StandardOps.
func (b *Builder) Add(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeAdd, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Add(in[0], in[1]) }))
}

// BitwiseAnd implements backends.StandardOps.
func (b *Builder) BitwiseAnd(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeBitwiseAnd, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.BitwiseAnd(in[0], in[1]) }))
}

// BitwiseOr implements backends.StandardOps.
func (b *Builder) BitwiseOr(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeBitwiseOr, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.BitwiseOr(in[0], in[1]) }))
}

// BitwiseXor implements backends.StandardOps.
func (b *Builder) BitwiseXor(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeBitwiseXor, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.BitwiseXor(in[0], in[1]) }))
}

// Complex implements backends.StandardOps.
func (b *Builder) Complex(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeComplex, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Complex(in[0], in[1]) }))
}

// Div implements backends.StandardOps.
func (b *Builder) Div(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeDiv, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Div(in[0], in[1]) }))
}

// Dot implements backends.StandardOps.
func (b *Builder) Dot(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeDot, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Dot(in[0], in[1]) }))
}

// Equal implements backends.StandardOps.
func (b *Builder) Equal(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeEqual, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Equal(in[0], in[1]) }))
}

// EqualTotalOrder implements backends.StandardOps.
func (b *Builder) EqualTotalOrder(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeEqualTotalOrder, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.EqualTotalOrder(in[0], in[1])
	}))
}

// GreaterOrEqual implements backends.StandardOps.
func (b *Builder) GreaterOrEqual(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeGreaterOrEqual, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.GreaterOrEqual(in[0], in[1]) }))
}

// GreaterOrEqualTotalOrder implements backends.StandardOps.
func (b *Builder) GreaterOrEqualTotalOrder(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeGreaterOrEqualTotalOrder, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.GreaterOrEqualTotalOrder(in[0], in[1])
	}))
}

// GreaterThan implements backends.StandardOps.
func (b *Builder) GreaterThan(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeGreaterThan, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.GreaterThan(in[0], in[1]) }))
}

// GreaterThanTotalOrder implements backends.StandardOps.
func (b *Builder) GreaterThanTotalOrder(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeGreaterThanTotalOrder, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.GreaterThanTotalOrder(in[0], in[1])
	}))
}

// LessOrEqual implements backends.StandardOps.
func (b *Builder) LessOrEqual(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLessOrEqual, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.LessOrEqual(in[0], in[1]) }))
}

// LessOrEqualTotalOrder implements backends.StandardOps.
func (b *Builder) LessOrEqualTotalOrder(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLessOrEqualTotalOrder, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.LessOrEqualTotalOrder(in[0], in[1])
	}))
}

// LessThan implements backends.StandardOps.
func (b *Builder) LessThan(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLessThan, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.LessThan(in[0], in[1]) }))
}

// LessThanTotalOrder implements backends.StandardOps.
func (b *Builder) LessThanTotalOrder(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLessThanTotalOrder, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.LessThanTotalOrder(in[0], in[1])
	}))
}

// LogicalAnd implements backends.StandardOps.
func (b *Builder) LogicalAnd(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLogicalAnd, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.LogicalAnd(in[0], in[1]) }))
}

// LogicalOr implements backends.StandardOps.
func (b *Builder) LogicalOr(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLogicalOr, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.LogicalOr(in[0], in[1]) }))
}

// LogicalXor implements backends.StandardOps.
func (b *Builder) LogicalXor(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeLogicalXor, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.LogicalXor(in[0], in[1]) }))
}

// Max implements backends.StandardOps.
func (b *Builder) Max(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeMax, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Max(in[0], in[1]) }))
}

// Min implements backends.StandardOps.
func (b *Builder) Min(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeMin, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Min(in[0], in[1]) }))
}

// Mul implements backends.StandardOps.
func (b *Builder) Mul(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeMul, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Mul(in[0], in[1]) }))
}

// NotEqual implements backends.StandardOps.
func (b *Builder) NotEqual(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeNotEqual, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.NotEqual(in[0], in[1]) }))
}

// NotEqualTotalOrder implements backends.StandardOps.
func (b *Builder) NotEqualTotalOrder(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeNotEqualTotalOrder, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.NotEqualTotalOrder(in[0], in[1])
	}))
}

// Pow implements backends.StandardOps.
func (b *Builder) Pow(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypePow, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Pow(in[0], in[1]) }))
}

// Rem implements backends.StandardOps.
func (b *Builder) Rem(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeRem, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Rem(in[0], in[1]) }))
}

// ShiftLeft implements backends.StandardOps.
func (b *Builder) ShiftLeft(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeShiftLeft, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.ShiftLeft(in[0], in[1]) }))
}

// ShiftRightArithmetic implements backends.StandardOps.
func (b *Builder) ShiftRightArithmetic(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeShiftRightArithmetic, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ShiftRightArithmetic(in[0], in[1])
	}))
}

// ShiftRightLogical implements backends.StandardOps.
func (b *Builder) ShiftRightLogical(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeShiftRightLogical, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ShiftRightLogical(in[0], in[1])
	}))
}

// Sub implements backends.StandardOps.
func (b *Builder) Sub(lhs, rhs backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeSub, []backends.Op{lhs, rhs}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.Sub(in[0], in[1]) }))
}

// ReduceBitwiseAnd implements backends.StandardOps.
func (b *Builder) ReduceBitwiseAnd(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceBitwiseAnd, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceBitwiseAnd(in[0], axes...)
	}))
}

// ReduceBitwiseOr implements backends.StandardOps.
func (b *Builder) ReduceBitwiseOr(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceBitwiseOr, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceBitwiseOr(in[0], axes...)
	}))
}

// ReduceBitwiseXor implements backends.StandardOps.
func (b *Builder) ReduceBitwiseXor(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceBitwiseXor, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceBitwiseXor(in[0], axes...)
	}))
}

// ReduceLogicalAnd implements backends.StandardOps.
func (b *Builder) ReduceLogicalAnd(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceLogicalAnd, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceLogicalAnd(in[0], axes...)
	}))
}

// ReduceLogicalOr implements backends.StandardOps.
func (b *Builder) ReduceLogicalOr(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceLogicalOr, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceLogicalOr(in[0], axes...)
	}))
}

// ReduceLogicalXor implements backends.StandardOps.
func (b *Builder) ReduceLogicalXor(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceLogicalXor, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceLogicalXor(in[0], axes...)
	}))
}

// ReduceMax implements backends.StandardOps.
func (b *Builder) ReduceMax(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceMax, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.ReduceMax(in[0], axes...) }))
}

// ReduceMin implements backends.StandardOps.
func (b *Builder) ReduceMin(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceMin, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.ReduceMin(in[0], axes...) }))
}

// ReduceProduct implements backends.StandardOps.
func (b *Builder) ReduceProduct(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceProduct, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceProduct(in[0], axes...)
	}))
}

// ReduceSum implements backends.StandardOps.
func (b *Builder) ReduceSum(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceSum, []backends.Op{x}, &reduceParams{axes: clone(axes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) { return s.ReduceSum(in[0], axes...) }))
}
