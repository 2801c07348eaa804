// Package pkg is a small package for the gendocs test.
package pkg

// Model is a thing with methods.
type Model struct {
	// Name is shown.
	Name string
	n    int
}

// Open returns a Model (go/doc files it under the type).
func Open(name string) *Model { return &Model{Name: name} }

// Run runs the model.
func (m *Model) Run(steps int) error { return nil }

func (m *Model) hidden() {}

// Limit is a constant.
const Limit = 3

// Scale multiplies.
//
//	y = a·x
func Scale(a, x float64) float64 { return a * x }

// Runner runs.
type Runner interface {
	Run(steps int) error
}
