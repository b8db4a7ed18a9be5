using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Tollgate.Benchmarks.KeyVerificationBenchmark).Assembly).Run(args);
