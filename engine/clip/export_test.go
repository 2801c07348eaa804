package clip

import "image"

// ResizeBicubicForTest exposes the resampling step of Preprocess: img
// resized to w × h with PIL's bicubic, RGB bytes row by row.
func ResizeBicubicForTest(img image.Image, w, h int) []uint8 {
	return resizeBicubic(toRGB(img), w, h).pix
}
