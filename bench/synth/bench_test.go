package synth

import "testing"

// BenchmarkGenerate measures frames per second with the default mix (transfers dominate).
func BenchmarkGenerate(b *testing.B) { benchGen(b, Config{Seed: 1, Flows: 1 << 40}) }

// BenchmarkGenerateManyFlows measures the small-flow regime (about 500 bytes per flow).
func BenchmarkGenerateManyFlows(b *testing.B) {
	benchGen(b, Config{Seed: 1, Flows: 1 << 40, TargetBytes: 500 << 40})
}

func benchGen(b *testing.B, cfg Config) {
	g, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, f, ok := g.Next()
		if !ok {
			b.Fatal("ended")
		}
		n += int64(len(f))
	}
	b.SetBytes(n / int64(b.N))
}
