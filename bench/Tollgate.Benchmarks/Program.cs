using BenchmarkDotNet.Running;

if (args is ["tokenizer-memory"]) Tollgate.Benchmarks.TokenizerMemory.Print();
else BenchmarkSwitcher.FromAssembly(typeof(Tollgate.Benchmarks.KeyVerificationBenchmark).Assembly).Run(args);
