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
    public void A_key_hash_is_the_sha256_of_its_utf8_secret_so_stored_hashes_stay_valid() =>
        KeyHash.Of("abc").ToHex().ShouldBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

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
    public void A_customer_key_cannot_send_usage_unless_given_usage_write()
    {
        var key = KeyPolicy.ForCreate(Admin(Scopes.Admin), new CreateKeyRequest("app", CustomerId: "cus_b"), Now).Value;
        key.Scopes.ShouldNotContain(Scopes.UsageWrite);
        KeyPolicy.ForCreate(Admin(Scopes.Admin), new CreateKeyRequest("agent", CustomerId: "cus_b", Scopes: [Scopes.UsageWrite]), Now)
            .Value.Scopes.ShouldBe([Scopes.UsageWrite]);
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

    static ApiKeyView View(string id, KeyMode mode, DateTimeOffset? expires, params string[] scopes) => new()
    {
        Id = id, Kind = KeyKind.Customer, Mode = mode, CustomerId = "cus_a", Name = "k", Display = "tg_live_…",
        Scopes = scopes, Status = KeyStatus.Active, ExpiresAt = expires, CreatedAt = Now,
    };

    [Fact]
    public void Overlap_defaults_to_an_hour_and_is_bounded()
    {
        var key = View("key_x", KeyMode.Live, null, Scopes.Gateway);
        KeyPolicy.ForRotate(Admin(Scopes.Admin), key, new RotateKeyRequest(), Now).Value.Overlap.ShouldBe(TimeSpan.FromHours(1));
        KeyPolicy.ForRotate(Admin(Scopes.Admin), key, new RotateKeyRequest(OverlapSeconds: -1), Now).IsOk.ShouldBeFalse();
        KeyPolicy.ForRotate(Admin(Scopes.Admin), key, new RotateKeyRequest(OverlapSeconds: 31 * 86400), Now).IsOk.ShouldBeFalse();
    }

    [Fact]
    public void A_rotation_keeps_the_expiry_unless_a_new_one_is_given()
    {
        var key = View("key_x", KeyMode.Live, Now.AddDays(3), Scopes.Gateway);
        KeyPolicy.ForRotate(Admin(Scopes.Admin), key, new RotateKeyRequest(), Now).Value.ExpiresAt.ShouldBe(Now.AddDays(3));
        KeyPolicy.ForRotate(Admin(Scopes.Admin), key, new RotateKeyRequest(ExpiresAt: Now.AddDays(9)), Now).Value.ExpiresAt.ShouldBe(Now.AddDays(9));
    }

    [Fact]
    public void A_customer_key_rotates_a_sibling_only_if_it_holds_its_scopes_and_mode()
    {
        var caller = Customer(KeyMode.Test, Scopes.KeysWrite, Scopes.CustomerRead);
        KeyPolicy.ForRotate(caller, View("key_x", KeyMode.Test, null, Scopes.CustomerRead), new RotateKeyRequest(), Now).IsOk.ShouldBeTrue();
        KeyPolicy.ForRotate(caller, View("key_x", KeyMode.Test, null, Scopes.Gateway), new RotateKeyRequest(), Now).Error!.Status.ShouldBe(403);
        KeyPolicy.ForRotate(caller, View("key_x", KeyMode.Live, null, Scopes.CustomerRead), new RotateKeyRequest(), Now).Error!.Status.ShouldBe(403);
    }

    [Fact]
    public void A_key_without_keys_write_rotating_itself_cannot_drop_or_extend_its_expiry()
    {
        var self = View("key_c", KeyMode.Live, Now.AddDays(1), Scopes.Gateway);
        var caller = Customer(KeyMode.Live, Scopes.Gateway);
        KeyPolicy.ForRotate(caller, self, new RotateKeyRequest(), Now).Value.ExpiresAt.ShouldBe(Now.AddDays(1));
        KeyPolicy.ForRotate(caller, self, new RotateKeyRequest(ExpiresAt: Now.AddDays(2)), Now).Error!.Status.ShouldBe(403);
        KeyPolicy.ForRotate(caller, self, new RotateKeyRequest(ExpiresAt: Now.AddHours(2)), Now).Value.ExpiresAt.ShouldBe(Now.AddHours(2));
    }
}

public class ApiKeyCacheTests
{
    static KeyHash Hash(int i) => KeyHash.Of($"tg_live_{i:D43}");

    [Fact]
    public void A_full_set_of_unknown_keys_is_never_emptied_at_once_and_makes_room_as_entries_expire()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var cache = new ApiKeyCache(clock);
        var hammered = Hash(-1);
        cache.MarkUnknown(hammered, clock.GetUtcNow());
        for (var i = 1; i < ApiKeyCache.MaxNegativeEntries; i++) cache.MarkUnknown(Hash(i), clock.GetUtcNow());

        cache.MarkUnknown(Hash(ApiKeyCache.MaxNegativeEntries), clock.GetUtcNow()); // one too many: not remembered, nothing forgotten

        cache.IsKnownUnknown(hammered, clock.GetUtcNow().UtcTicks).ShouldBeTrue();
        cache.IsKnownUnknown(Hash(ApiKeyCache.MaxNegativeEntries), clock.GetUtcNow().UtcTicks).ShouldBeFalse();
        clock.Advance(ApiKeyCache.NegativeTtl + TimeSpan.FromSeconds(1));
        var late = Hash(ApiKeyCache.MaxNegativeEntries + 1);
        cache.MarkUnknown(late, clock.GetUtcNow());
        cache.IsKnownUnknown(late, clock.GetUtcNow().UtcTicks).ShouldBeTrue();
        cache.IsKnownUnknown(hammered, clock.GetUtcNow().UtcTicks).ShouldBeFalse(); // expired, and gone to make room
    }
}
