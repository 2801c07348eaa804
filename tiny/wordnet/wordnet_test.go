package wordnet

import (
	"reflect"
	"testing"
)

// A three-synset hierarchy in the data.noun format: vehicle > ship > whaler.
const fixture = `  1 This is a licence header line.
00000100 06 n 01 vehicle 0 001 ~ 00000200 n 0000 | a conveyance; "the vehicle was parked"
00000200 06 n 02 ship 0 vessel 0 002 @ 00000100 n 0000 ~ 00000300 n 0000 | a vessel that carries passengers or freight; "they went by ship"; "the ship sank"
00000300 06 n 01 whaling_ship 0 001 @ 00000200 n 0000 | a ship for hunting whales
`

func TestParse(t *testing.T) {
	ss, err := Parse([]byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 3 {
		t.Fatalf("got %d synsets, want 3", len(ss))
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"lemmas", ss[1].Lemmas, []string{"ship", "vessel"}},
		{"definition", ss[1].Definition, "a vessel that carries passengers or freight"},
		{"examples", ss[1].Examples, []string{"they went by ship", "the ship sank"}},
		{"hypernyms", ss[2].Hypernyms, []int{200}},
		{"underscore", ss[2].Lemmas, []string{"whaling ship"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
	db := NewDB(ss)
	roots := []int{db.Synsets("Ship")[0].Offset}
	if got, want := db.Lexicon(roots), []string{"ship", "vessel", "whaling ship"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Lexicon = %v, want %v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"short", "00000100 06 n\n"},
		{"bad offset", "x 06 n 01 a 0 000 | g\n"},
		{"missing pointers", "00000100 06 n 02 a 0 | g\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.in)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(fixture))
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := Parse(data)
		if err == nil {
			NewDB(ss).Lexicon([]int{100})
		}
	})
}

func TestIndex(t *testing.T) {
	idx, err := ParseIndex([]byte("  1 licence\nship n 2 2 @ ~ 2 1 00000200 00000100  \nwhaling_ship n 1 1 @ 1 0 00000300  \n"))
	if err != nil {
		t.Fatal(err)
	}
	ss, _ := Parse([]byte(fixture))
	db := NewDB(ss)
	db.SetIndex(idx)
	if o, err := db.Sense("ship", 2); err != nil || o != 100 {
		t.Errorf("Sense(ship, 2) = %d, %v", o, err)
	}
	if _, err := db.Sense("ship", 3); err == nil {
		t.Error("sense 3 of 2 accepted")
	}
	if o, ok := db.FirstSense("whaling ship"); !ok || o != 300 {
		t.Errorf("FirstSense(whaling ship) = %d, %v", o, ok)
	}
	if _, err := ParseIndex([]byte("ship n x\n")); err == nil {
		t.Error("short line accepted")
	}
}
