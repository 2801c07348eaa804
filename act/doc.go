// Package act is the script-facing API of actsh: load a model, collect its
// activations on a source and a target set of texts, fit Activation
// Transport (AcT, arXiv 2410.23054) maps, and generate with them at a chosen
// strength λ.
//
// It is dot-imported in the actsh shell and in notebooks, so its names read
// as a small language:
//
//	m := Load("tiny")
//	ds := JSONSubsets("giraffes.json")
//	r := m.Responses(ds, ".*ln_2", Pool("mean"), Src("none"), Dst("giraffe"))
//	t := FitLinearOT(r, Support("q_0_100"))
//	fmt.Println(m.Generate("Once upon a time", t, 0.5))
//
// # Errors
//
// Functions of this package panic with an [*Error] carrying one readable
// message when their input is bad. The shell, `actsh run` and notebooks
// recover it and print that line. Go programs that prefer error values use
// the packages underneath ([github.com/actsh/actsh/engine],
// [github.com/actsh/actsh/act/transport], ...).
//
// # Interrupts
//
// Long operations watch the context of [SetContext]; cancelling it stops them
// with an error. The shell cancels it on Ctrl-C.
package act
