using BenchmarkDotNet.Attributes;
using Tollgate.ApiKeys;
using Tollgate.Audit;
using Tollgate.Storage;

namespace Tollgate.Benchmarks;

/// <summary>
/// Verifying a key from the in-memory cache, as every request does: shape check, SHA-256, lookup among
/// 100,000 keys, expiry and revocation. One thread, so ops/s is per core.
/// </summary>
[MemoryDiagnoser]
public class KeyVerificationBenchmark
{
    ApiKeyVerifier _verifier = null!;
    string _valid = "";
    string _unknown = "";

    [GlobalSetup]
    public void Setup()
    {
        var cache = new ApiKeyCache(TimeProvider.System);
        for (var i = 0; i < 100_000; i++)
        {
            var secret = ApiKeySecret.Generate(KeyKind.Customer, KeyMode.Live);
            cache.Put(KeyHash.Of(secret), new ApiKeyEntry($"key_{i}", KeyKind.Customer, KeyMode.Live, $"cus_{i}", [Scopes.Gateway], null, null));
            _valid = secret;
        }

        _unknown = ApiKeySecret.Generate(KeyKind.Customer, KeyMode.Live);
        var database = new Database(ConnectionTarget.Parse($"Data Source={Path.Combine(Path.GetTempPath(), "tollgate-bench.db")}"));
        var store = new ApiKeyStore(database, new AuditLog(database, TimeProvider.System), cache, new Tollgate.Common.ChangeFeed(), TimeProvider.System);
        _verifier = new ApiKeyVerifier(cache, store, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ApiKeyVerifier>.Instance);
    }

    [Benchmark(Baseline = true)]
    public KeyVerdict VerifyValidKey() => _verifier.VerifyCached(_valid, out _, out _).Verdict;

    [Benchmark]
    public KeyVerdict VerifyUnknownKey() => _verifier.VerifyCached(_unknown, out _, out _).Verdict;

    [Benchmark]
    public KeyHash HashOnly() => KeyHash.Of(_valid);
}
