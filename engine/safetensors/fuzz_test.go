package safetensors

import (
	"os"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	seeds := []struct {
		header  string
		dataLen int64
	}{
		{`{}`, 0},
		{`{"__metadata__":{"format":"pt"}}`, 0},
		{`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8},
		{`{"a":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,4]},"b":{"dtype":"I64","shape":[],"data_offsets":[4,12]}}   `, 12},
		{`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8},
		{`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}`, 8},
		{`{"a":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,8]}}`, 8},
		{`{"a":{"dtype":"X","shape":[1],"data_offsets":[8,0]}}`, 8},
		{`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e30]}}`, 8},
		{`{"a":null}`, 0},
		{`{"__metadata__":[]}`, 0},
		{`[`, 0},
		{"\xff", 0},
	}
	for _, s := range seeds {
		f.Add([]byte(s.header), s.dataLen)
	}
	f.Fuzz(func(t *testing.T, header []byte, dataLen int64) {
		infos, _, err := ParseHeader(header, dataLen)
		if err != nil {
			return
		}
		// Accepted headers tile [0, dataLen) with consistent sizes.
		var total int64
		for _, in := range infos {
			if in.Offset < 0 || in.Size < 0 || in.Offset+in.Size > dataLen {
				t.Fatalf("accepted %+v beyond data of %d", in, dataLen)
			}
			if int64(in.Elements())*int64(in.DType.Size()) != in.Size {
				t.Fatalf("accepted %+v with inconsistent size", in)
			}
			total += in.Size
		}
		if total != dataLen {
			t.Fatalf("accepted tensors covering %d of %d bytes", total, dataLen)
		}
	})
}

// FuzzOpen checks that whole files, length prefix included, never panic
// and that accepted files read back every tensor.
func FuzzOpen(f *testing.F) {
	b, err := os.ReadFile(gpt2Path)
	if err == nil && len(b) > 4096 {
		f.Add(b[:4096])
	}
	f.Add(file(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, []byte{0, 0x3c, 0, 0x7c}))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, '{'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, buf []byte) {
		fl, err := parse("fuzz", buf)
		if err != nil {
			return
		}
		for _, n := range fl.Names() {
			in, _ := fl.Info(n)
			if in.DType.IsFloat() {
				if _, _, err := fl.Float32(n); err != nil {
					t.Fatal(err)
				}
			} else if _, _, err := fl.Int64(n); err != nil && in.DType != DTypeU64 {
				t.Fatal(err)
			}
		}
	})
}
