using Tollgate.ApiKeys;

namespace Tollgate.Tests;

public class ApiKeySecretTests
{
    [Theory]
    [InlineData(KeyKind.Customer, KeyMode.Live, "tg_live_")]
    [InlineData(KeyKind.Customer, KeyMode.Test, "tg_test_")]
    [InlineData(KeyKind.Admin, KeyMode.Live, "tg_admin_live_")]
    [InlineData(KeyKind.Admin, KeyMode.Test, "tg_admin_test_")]
    public void Generated_keys_parse_back_to_their_kind_and_mode(KeyKind kind, KeyMode mode, string prefix)
    {
        var secret = ApiKeySecret.Generate(kind, mode);

        secret.ShouldStartWith(prefix);
        secret.Length.ShouldBe(prefix.Length + ApiKeySecret.RandomLength);
        ApiKeySecret.TryParse(secret, out var parsedKind, out var parsedMode).ShouldBeTrue();
        (parsedKind, parsedMode).ShouldBe((kind, mode));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sk-proj-abc")]
    [InlineData("tg_live_short")]
    [InlineData("tg_live_000000000000000000000000000000000000000000!")]
    [InlineData("tg_live_00000000000000000000000000000000000000000000")]
    public void Malformed_keys_do_not_parse(string secret) =>
        ApiKeySecret.TryParse(secret, out _, out _).ShouldBeFalse();

    [Fact]
    public void Two_keys_never_share_a_secret_or_hash()
    {
        var a = ApiKeySecret.Generate(KeyKind.Customer, KeyMode.Live);
        var b = ApiKeySecret.Generate(KeyKind.Customer, KeyMode.Live);
        a.ShouldNotBe(b);
        KeyHash.Of(a).ShouldNotBe(KeyHash.Of(b));
        KeyHash.Of(a).ShouldBe(KeyHash.Of(a));
    }

    [Fact]
    public void Hash_round_trips_through_hex()
    {
        var hash = KeyHash.Of("tg_live_x");
        KeyHash.FromHex(hash.ToHex()).ShouldBe(hash);
        hash.ToHex().Length.ShouldBe(64);
    }

    [Fact]
    public void Only_the_prefix_and_four_characters_each_end_are_visible()
    {
        var secret = ApiKeySecret.Generate(KeyKind.Customer, KeyMode.Live);
        var (prefix, last) = ApiKeySecret.Visible(secret);
        prefix.ShouldBe(secret[..12]);
        last.ShouldBe(secret[^4..]);
    }
}

public class KeyVerificationTests
{
    static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static ApiKeyEntry Key(DateTimeOffset? expires = null, DateTimeOffset? revoked = null) =>
        new("key_1", KeyKind.Customer, KeyMode.Live, "cus_1", [Scopes.Gateway], expires, revoked);

    [Fact]
    public void A_key_is_valid_until_its_expiry() =>
        KeyVerification.Judge(Key(expires: Now.AddSeconds(1)), Now).Verdict.ShouldBe(KeyVerdict.Valid);

    [Fact]
    public void A_key_is_expired_at_its_expiry() =>
        KeyVerification.Judge(Key(expires: Now), Now).Verdict.ShouldBe(KeyVerdict.Expired);

    [Fact]
    public void Revocation_wins_over_expiry() =>
        KeyVerification.Judge(Key(expires: Now.AddDays(-1), revoked: Now.AddDays(-2)), Now).Verdict.ShouldBe(KeyVerdict.Revoked);

    [Fact]
    public void An_unknown_key_is_unknown() =>
        KeyVerification.Judge(null, Now).Verdict.ShouldBe(KeyVerdict.Unknown);
}

public class KeyPolicyTests
{
    static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static Caller Customer(KeyMode mode = KeyMode.Live, params string[] scopes) =>
        new(new ApiKeyEntry("key_c", KeyKind.Customer, mode, "cus_a", scopes, null, null), "req");

    static Caller Admin(params string[] scopes) => new(new ApiKeyEntry("key_a", KeyKind.Admin, KeyMode.Live, null, scopes, null, null), "req");

    [Fact]
    public void An_admin_key_with_a_customer_id_creates_a_customer_key_with_default_scopes()
    {
        var key = KeyPolicy.ForCreate(Admin(Scopes.Admin), new CreateKeyRequest("app", CustomerId: "cus_b"), Now);
        key.Value.Kind.ShouldBe(KeyKind.Customer);
        key.Value.Scopes.ShouldBe(Scopes.Defaults(KeyKind.Customer));
    }

    [Fact]
    public void A_read_only_admin_cannot_create_keys() =>
        KeyPolicy.ForCreate(Admin(Scopes.AdminRead), new CreateKeyRequest("x"), Now).Error!.Status.ShouldBe(403);

    [Fact]
    public void A_customer_key_cannot_grant_a_scope_it_lacks() =>
        KeyPolicy.ForCreate(Customer(KeyMode.Live, Scopes.KeysWrite), new CreateKeyRequest("x", Scopes: [Scopes.Gateway]), Now).Error!.Status.ShouldBe(403);

    [Fact]
    public void A_test_key_cannot_create_a_live_key() =>
        KeyPolicy.ForCreate(Customer(KeyMode.Test, Scopes.KeysWrite, Scopes.Gateway), new CreateKeyRequest("x", Mode: KeyMode.Live, Scopes: [Scopes.Gateway]), Now)
            .Error!.Message.ShouldContain("test key");

    [Fact]
    public void A_customer_key_cannot_create_admin_keys() =>
        KeyPolicy.ForCreate(Customer(KeyMode.Live, Scopes.KeysWrite), new CreateKeyRequest("x", Kind: KeyKind.Admin), Now).IsOk.ShouldBeFalse();

    [Fact]
    public void Expiry_in_the_past_is_a_field_error() =>
        KeyPolicy.ForCreate(Admin(Scopes.Admin), new CreateKeyRequest("x", ExpiresAt: Now.AddSeconds(-1)), Now).Error!.Errors!.Keys.ShouldBe(["expires_at"]);

    [Fact]
    public void Overlap_defaults_to_an_hour_and_is_bounded()
    {
        KeyPolicy.Overlap(new RotateKeyRequest(), Now).Value.ShouldBe(TimeSpan.FromHours(1));
        KeyPolicy.Overlap(new RotateKeyRequest(OverlapSeconds: -1), Now).IsOk.ShouldBeFalse();
        KeyPolicy.Overlap(new RotateKeyRequest(OverlapSeconds: 31 * 86400), Now).IsOk.ShouldBeFalse();
    }
}

public class Sha256Tests
{
    [Fact]
    public void Matches_the_platform_sha256_for_every_length_up_to_five_blocks()
    {
        var random = new Random(42);
        for (var length = 0; length <= 320; length++)
        {
            var message = new byte[length];
            random.NextBytes(message);
            var digest = new byte[32];

            Sha256.Hash(message, digest);

            digest.ShouldBe(System.Security.Cryptography.SHA256.HashData(message), $"length {length}");
        }
    }

    [Fact]
    public void Matches_the_fips_test_vector_for_abc() =>
        Convert.ToHexStringLower(Hash("abc"u8)).ShouldBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    static byte[] Hash(ReadOnlySpan<byte> message)
    {
        var digest = new byte[32];
        Sha256.Hash(message, digest);
        return digest;
    }
}
