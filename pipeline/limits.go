package pipeline

// Defaults for requests in flight, chosen by measurement (bench/s3bench
// -mode concurrency, README "Beyond one machine"): at 20 ms a GET, 2 cores
// read 1,900 objects/s with 64 in flight, 3,100 with 128, 5,100 with 256
// and no more with 512. Memory does not grow with them (small objects get
// small blocks, MaxMemory bounds the rest) and open files are capped.
const (
	// s3ConcurrencyDefault is the default number of objects read at once
	// from S3 (s5cmd's default too).
	s3ConcurrencyDefault = 256
	// listConcurrencyDefault is the default number of list streams.
	listConcurrencyDefault = 16
)

// fdReserve is how many open files a run keeps free for what is not a
// request in flight: output files (convert keeps one per worker and
// partition between commits), the manifest, temporary files, DNS.
func fdReserve(workers int) int { return 16 + 2*workers }

// limit fits the run to the process: S3 requests in flight (each holds a
// connection, one open file) are capped so that open files stay under
// RLIMIT_NOFILE, and the block buffers fit MaxMemory.
func (c *Config) limit(s3 bool) {
	if c.ListConcurrency <= 0 {
		c.ListConcurrency = listConcurrencyDefault
	}
	if s3 {
		c.Concurrency, c.ListConcurrency = capOpenFiles(c.Concurrency, c.ListConcurrency, openFileRoom()-fdReserve(c.Workers))
	}
	c.blocks = c.Concurrency + 2*c.Workers
	if c.MaxMemory > 0 {
		if c.MaxBuffered <= 0 {
			c.MaxBuffered = min(256<<20, c.MaxMemory/4)
		}
		c.blocks = int(min(int64(c.blocks), max(int64(2*c.Workers+2), c.MaxMemory/8/int64(c.BlockSize))))
	}
}

// capOpenFiles shares room open files between object reads and listers,
// keeping at least one of each.
func capOpenFiles(concurrency, listers, room int) (int, int) {
	if concurrency+listers <= room {
		return concurrency, listers
	}
	listers = max(1, min(listers, room/8))
	return max(1, min(concurrency, room-listers)), listers
}

// blockFor returns the block size for an object of size bytes (-1
// unknown): an object smaller than a block gets a block of its size (at
// least 64 KiB, for what a compressed one holds), so many small objects in
// flight do not each hold a whole block.
func blockFor(block int, size int64) int {
	if size >= 0 && size < int64(block) {
		return min(block, max(int(size)+1, 64<<10))
	}
	return block
}
