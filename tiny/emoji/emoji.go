package emoji

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sort"
	"strings"

	"github.com/actsh/actsh/tiny/corpus"
)

// Style is one drawing style: its name as the caption tag says it and the
// npm package that holds its images.
type Style struct {
	// Name is the tag ("noto", "twemoji").
	Name string
	// Source is the pinned npm package.
	Source corpus.Source
	// Dir is the images' folder in the tarball (without npm's package/).
	Dir string
	// ImageLicense is the images' licence (the package's own is MIT).
	ImageLicense string
	// Attribution is the notice the licence asks for ("" when none).
	Attribution string
}

// The two styles, pinned by version and sha512 (npm pack NAME@VERSION --json).
var (
	Noto = Style{
		Name: "noto",
		Source: corpus.Source{
			Name:      "emoji-datasource-google",
			Version:   "16.0.0",
			Integrity: "sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==",
			License:   "MIT (package), Apache-2.0 (Noto Emoji images)",
		},
		Dir:          "img/google/64/",
		ImageLicense: "Apache-2.0",
		Attribution:  "Noto Emoji © Google Inc., Apache License 2.0",
	}
	Twemoji = Style{
		Name: "twemoji",
		Source: corpus.Source{
			Name:      "emoji-datasource-twitter",
			Version:   "16.0.0",
			Integrity: "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
			License:   "MIT (package), CC-BY-4.0 (Twemoji graphics)",
		},
		Dir:          "img/twitter/64/",
		ImageLicense: "CC-BY-4.0",
		Attribution:  "Twemoji graphics © Twitter, Inc. and other contributors, CC-BY 4.0",
	}
)

// Styles lists the styles in a fixed order; an [Image]'s Style indexes it.
var Styles = []Style{Noto, Twemoji}

// Emoji is one emoji of emoji.json.
type Emoji struct {
	// Name is the Unicode name in lower case ("grinning face"): the
	// untagged caption.
	Name string
	// ShortName is emoji.json's short_name ("grinning").
	ShortName string
	// Category is emoji.json's category ("Smileys & Emotion").
	Category string
	// Unified is the code points, "1F600" or "1F1FB-1F1E6".
	Unified string
	// File is the image's file name in each style's folder.
	File string
	// Held is set for the held-out emoji ([HeldOut]).
	Held bool
}

// Image is one emoji drawn in one style.
type Image struct {
	Emoji int // index into Set.Emoji
	Style int // index into Styles
	// Pixels are RGB bytes, row-major, Size×Size×3, on white.
	Pixels []uint8
}

// Set is the whole image set at one size.
type Set struct {
	Size   int
	Emoji  []Emoji
	Images []Image // emoji by emoji.json's order, each in every style
}

// Caption is the training caption of an emoji name in a style: the name
// alone when style is "", else "<name>, <style> style".
func Caption(name, style string) string {
	if style == "" {
		return name
	}
	return name + ", " + style + " style"
}

// HeldOut reports whether the emoji with these code points is kept out of
// training: FNV-1a of the unified string, mod 10, is 0 (about a tenth).
func HeldOut(unified string) bool {
	h := fnv.New32a()
	h.Write([]byte(strings.ToUpper(unified)))
	return h.Sum32()%10 == 0
}

// record is the part of an emoji.json entry we read.
type record struct {
	Name      string `json:"name"`
	Unified   string `json:"unified"`
	Image     string `json:"image"`
	ShortName string `json:"short_name"`
	Category  string `json:"category"`
	SortOrder int    `json:"sort_order"`
	HasGoogle bool   `json:"has_img_google"`
	HasTwit   bool   `json:"has_img_twitter"`
}

// Load fetches both packages (tiny/corpus's Fetch: cacheDir, else npm
// pack) and returns every emoji that has an image in both styles, sorted
// by emoji.json's sort_order, at size×size pixels. size must divide 64.
func Load(cacheDir string, size int) (*Set, error) {
	if size <= 0 || 64%size != 0 {
		return nil, fmt.Errorf("emoji: size %d must divide 64", size)
	}
	files := make([]map[string][]byte, len(Styles))
	for i, st := range Styles {
		tgz, err := corpus.Fetch(st.Source, cacheDir)
		if err != nil {
			return nil, fmt.Errorf("emoji: %w", err)
		}
		dir := st.Dir
		files[i], err = corpus.Files(tgz, func(name string) bool {
			return name == "emoji.json" || strings.HasPrefix(name, dir) && !strings.Contains(name[len(dir):], "/")
		})
		if err != nil {
			return nil, fmt.Errorf("emoji: %s: %w", st.Source.Spec(), err)
		}
	}
	var recs []record
	if err := json.Unmarshal(files[0]["emoji.json"], &recs); err != nil {
		return nil, fmt.Errorf("emoji: %s emoji.json: %w", Styles[0].Source.Spec(), err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("emoji: %s emoji.json lists no emoji", Styles[0].Source.Spec())
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].SortOrder < recs[j].SortOrder })
	s := &Set{Size: size}
	for _, r := range recs {
		if !r.HasGoogle || !r.HasTwit || r.Name == "" {
			continue
		}
		var imgs []Image
		for k, st := range Styles {
			b, ok := files[k][st.Dir+r.Image]
			if !ok {
				return nil, fmt.Errorf("emoji: %s has no %s%s for %q", st.Source.Spec(), st.Dir, r.Image, r.Name)
			}
			px, err := decode(b, size)
			if err != nil {
				return nil, fmt.Errorf("emoji: %s %s: %w", st.Source.Spec(), r.Image, err)
			}
			imgs = append(imgs, Image{Emoji: len(s.Emoji), Style: k, Pixels: px})
		}
		s.Emoji = append(s.Emoji, Emoji{Name: strings.ToLower(r.Name), ShortName: r.ShortName, Category: r.Category,
			Unified: r.Unified, File: r.Image, Held: HeldOut(r.Unified)})
		s.Images = append(s.Images, imgs...)
	}
	return s, nil
}

// decode reads a 64×64 PNG, composites it over white and box-averages it
// to size×size RGB bytes (rounding to nearest).
func decode(b []byte, size int) ([]uint8, error) {
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r := src.Bounds()
	if r.Dx() != 64 || r.Dy() != 64 {
		return nil, fmt.Errorf("image is %d×%d, want 64×64", r.Dx(), r.Dy())
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 64, 64))
	draw.Draw(rgba, rgba.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(rgba, rgba.Bounds(), src, r.Min, draw.Over)
	f := 64 / size
	out := make([]uint8, size*size*3)
	n := f * f
	for y := range size {
		for x := range size {
			var sum [3]int
			for dy := range f {
				for dx := range f {
					o := rgba.PixOffset(x*f+dx, y*f+dy)
					sum[0] += int(rgba.Pix[o])
					sum[1] += int(rgba.Pix[o+1])
					sum[2] += int(rgba.Pix[o+2])
				}
			}
			for c := range 3 {
				out[(y*size+x)*3+c] = uint8((sum[c] + n/2) / n)
			}
		}
	}
	return out, nil
}

// Split returns the indices of the images of training emoji and of
// held-out emoji.
func (s *Set) Split() (train, held []int) {
	for i, im := range s.Images {
		if s.Emoji[im.Emoji].Held {
			held = append(held, i)
		} else {
			train = append(train, i)
		}
	}
	return train, held
}

// Names returns the names of the training or held-out emoji, in order.
func (s *Set) Names(held bool) []string {
	var out []string
	for _, e := range s.Emoji {
		if e.Held == held {
			out = append(out, e.Name)
		}
	}
	return out
}

// RGBA returns image i as a Go image.
func (s *Set) RGBA(i int) *image.NRGBA {
	return ToNRGBA(s.Images[i].Pixels, s.Size)
}

// ToNRGBA makes an opaque image of RGB bytes, size×size.
func ToNRGBA(px []uint8, size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for p := range size * size {
		copy(img.Pix[4*p:4*p+3], px[3*p:3*p+3])
		img.Pix[4*p+3] = 255
	}
	return img
}
