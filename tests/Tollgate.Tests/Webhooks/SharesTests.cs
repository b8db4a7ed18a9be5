using Tollgate.Webhooks.Delivery;

namespace Tollgate.Tests.Webhooks;

public sealed class SharesTests
{
    static Shares Of(int room, int perEndpoint, params (string Id, int InFlight)[] inFlight) =>
        new(room, perEndpoint, inFlight.Select(e => KeyValuePair.Create(e.Id, e.InFlight)));

    [Fact]
    public void An_endpoint_with_nothing_in_flight_may_take_its_whole_share_and_no_more()
    {
        var shares = Of(100, 8);
        Enumerable.Range(0, 10).Count(_ => shares.TryTake("we_a")).ShouldBe(8);
        shares.Room.ShouldBe(92);
        shares.TryTake("we_b").ShouldBeTrue();
    }

    [Fact]
    public void The_room_in_all_bounds_every_endpoint()
    {
        var shares = Of(3, 8);
        shares.TryTake("we_a").ShouldBeTrue();
        shares.TryTake("we_b").ShouldBeTrue();
        shares.TryTake("we_c").ShouldBeTrue();
        shares.TryTake("we_d").ShouldBeFalse();
        Of(-4, 8).Room.ShouldBe(0, "more in flight than the concurrency (a lowered setting) leaves no room, not a negative one");
    }

    [Fact]
    public void An_endpoint_with_less_than_a_quarter_of_its_share_free_is_full_until_more_of_it_ends()
    {
        var shares = Of(100, 8, ("we_a", 7), ("we_b", 6), ("we_c", 3));
        shares.Full.ShouldBe(["we_a"]);
        shares.Left("we_a").ShouldBe(0, "one free slot of eight is less than a quarter: not claimed one delivery per answer");
        shares.Left("we_b").ShouldBe(2);
        shares.Left("we_c").ShouldBe(5);
        shares.Partial.Select(g => $"{g.Key}:{string.Join(",", g)}").ShouldBe(["2:we_b", "5:we_c"], ignoreOrder: true);

        // One that is not full fills its whole share in one claim.
        Enumerable.Range(0, 8).Count(_ => shares.TryTake("we_c")).ShouldBe(5);
        shares.TryTake("we_a").ShouldBeFalse();
    }

    [Fact]
    public void A_copy_takes_on_its_own()
    {
        var shares = Of(2, 8);
        var copy = shares.Copy();
        copy.TryTake("we_a").ShouldBeTrue();
        copy.TryTake("we_a").ShouldBeTrue();
        copy.TryTake("we_a").ShouldBeFalse();
        shares.Room.ShouldBe(2);
        shares.Left("we_a").ShouldBe(8);
    }
}
