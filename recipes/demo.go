//go:build ignore

// Recipe demo is the README's main job: it loads the embedded default
// model "tiny", fits Linear-AcT and Mean-AcT for three concepts (each
// concept's corpus sentences as target, other sentences as source, at
// every layer norm), and prints sampled continuations of neutral prompts
// at several strengths λ, with the concept's measured presence and
// mentions and the perplexity the unsteered model assigns to them (the
// fluency check) beside each.
//
//	go run ./cmd/actsh run recipes/demo.go           # in the actsh interpreter
//	go run recipes/demo.go                           # or as a Go program
//
// Then, unless -mitigate=false, the mitigation demo in the spirit of the
// paper's Table 2: a transport from religious prose (Brown's religion
// genre) to the other genres, applied to continuations of prompts that
// lead into religious text, judged by a classifier we trained.
//
// With -ablate it runs, instead of the λ sweeps, the concept-induction
// ablations (demo.Ablate): the first method at λ = 1 fitted with each
// pooling (mean, max, last) at each place (every layer norm, ln_1 or
// ln_2 alone, attention or MLP outputs).
//
// Flags (after the file name): -concepts food,family,money  -methods
// linear_ot,mean_ot  -per-prompt 4  -seed 1  -plot sweep.png  -mitigate
// -ablate. A concept
// the model has no shipped data for is named by its words,
// NAME=WORD+WORD+…: -concepts royalty=king+queen+throne,horse=horse+mare
// draws its data set from the shipped sentence pool (demo.DefineConcept).
//
// Two measures of the concept: its presence, measured as the AcT paper
// does by a judge (ml-act asks Llama-3-8B-Instruct; here the judge is a
// logistic-regression classifier trained on the concept's sentences
// against the others, and presence is its mean probability), and its
// mentions (share of continuations with a word of the concept's lexicon).
// The embedded model is small and rarely names a concept; the judge sees
// its words and register move towards it.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/actsh/actsh/act"
	"github.com/actsh/actsh/tiny/demo"
)

func main() {
	concepts := flag.String("concepts", "food,family,money", "comma-separated concepts: shipped ("+strings.Join(demo.Concepts(), ", ")+") or new, NAME=WORD+WORD+…")
	methods := flag.String("methods", "linear_ot,mean_ot", "comma-separated fitting methods")
	perPrompt := flag.Int("per-prompt", 4, "sampled continuations per prompt and strength")
	seed := flag.Uint64("seed", 1, "seed of the batched sampler")
	plotPath := flag.String("plot", "", "also write a PNG of the sweep for the first concept to this file")
	mitigate := flag.Bool("mitigate", true, "also run the mitigation demo: suppress the religious register")
	ablate := flag.Bool("ablate", false, "instead of the λ sweeps, the ablations: Linear-AcT at λ=1 by pooling (mean, max, last) × intervention points")
	flag.Parse()

	start := time.Now()
	m := Load("tiny")
	fmt.Println(m)
	prompts := demo.Prompts()
	fmt.Printf("prompts: %q\n", prompts)
	for i, c := range strings.Split(*concepts, ",") {
		if name, words, ok := strings.Cut(c, "="); ok {
			n := demo.DefineConcept(name, strings.Split(words, "+")...)
			fmt.Printf("\nnew concept %q: %d pool sentences contain %s\n", name, n, strings.ReplaceAll(words, "+", ", "))
			c = name
		}
		if *ablate {
			rows := demo.Ablate(m, demo.Options{Concept: c, Methods: strings.Split(*methods, ","), PerPrompt: *perPrompt, Seed: *seed})
			fmt.Printf("\n== ablations for %q (%s at λ=1)\n", c, strings.Split(*methods, ",")[0])
			fmt.Print(demo.AblationReport(rows))
			continue
		}
		rows := demo.Sweep(m, demo.Options{
			Concept:   c,
			Methods:   strings.Split(*methods, ","),
			PerPrompt: *perPrompt,
			Seed:      *seed,
		})
		fmt.Printf("\n== concept %q: %d continuations per row; sample: %q + ...\n", c, len(rows[0].Texts), prompts[0])
		fmt.Print(demo.Report(rows, prompts[0], true))
		if i == 0 && *plotPath != "" {
			if err := os.WriteFile(*plotPath, demo.Plot(rows), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	if *mitigate {
		rows := demo.Mitigate(m, demo.Options{Methods: strings.Split(*methods, ","), PerPrompt: *perPrompt, Seed: *seed})
		mp := demo.MitigationPrompts()
		fmt.Printf("\n== mitigation: from the %s register to the other genres; judge: P(%s) by a classifier trained on Brown's genres\n", demo.Register, demo.Register)
		fmt.Printf("prompts: %q\n", mp)
		fmt.Print(demo.MitigationReport(rows, mp[0], true))
	}
	fmt.Printf("\ndone in %s\n", time.Since(start).Round(time.Second))
}
