//go:build !linux

package source

import "os"

// mapFile maps nothing here: files are read (see the Linux version).
func (r *Reader) mapFile(f *os.File, name string, pool *ChunkPool, seq *int, fn func(*Chunk)) (bool, error) {
	return false, nil
}

func unmap(mem []byte) {}
