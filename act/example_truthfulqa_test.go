package act_test

import (
	"fmt"
	"strings"

	. "github.com/actsh/actsh/act"
)

// TruthfulQA on the embedded model and the synthetic questions of
// testdata: the end of one question's prompt and its MC1 choices, as
// lm-evaluation-harness's truthfulqa_mc1 asks them; then an intervention
// learned from the MC2 answers of half the questions (false → true),
// scored on the other half. Real runs read TruthfulQA's 817 questions with
// LoadTruthfulQA("") after `actsh download truthfulqa`.
func ExampleModel_TruthfulQA() {
	d := LoadTruthfulQA("testdata/truthfulqa")
	ctx, conts := d.Questions[1].Prompt("mc1")
	fmt.Printf("… %q\n", ctx[strings.LastIndex(ctx, "\n\nQ:"):])
	fmt.Printf("%q\n", conts)

	m := Load("tiny")
	fit, eval := d.Split(0.5, 42)
	t := FitLinearOT(m.Responses(fit.Dataset(), ".*ln_2", Src("incorrect"), Dst("correct")))
	r := m.TruthfulQA(eval, t, 1)
	fmt.Println(len(fit.Questions), "questions learned from;", r.MC1.Name, r.MC1.N, r.MC2.Name, r.MC2.N)
	// Output:
	// … "\n\nQ: Which planet is closest to the Sun?\nA:"
	// [" Mercury." " Venus." " Earth." " Pluto." " The Moon."]
	// 6 questions learned from; truthfulqa_mc1 6 truthfulqa_mc2 6
}
