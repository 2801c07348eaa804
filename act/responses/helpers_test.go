package responses

import "github.com/actsh/actsh/act/transport"

type transportMap = transport.Map

func meanShift(src, dst [][]float32) *transport.Map {
	d := len(src[0])
	w, b := make([]float32, d), make([]float32, d)
	for u := range d {
		var ms, md float64
		for _, r := range src {
			ms += float64(r[u])
		}
		for _, r := range dst {
			md += float64(r[u])
		}
		w[u] = 1
		b[u] = float32(md/float64(len(dst)) - ms/float64(len(src)))
	}
	return &transport.Map{W: w, B: b}
}
