using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.ApiKeys;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Billing.Coupons;

public static class CouponEndpoints
{
    public static RouteGroupBuilder MapCouponEndpoints(this RouteGroupBuilder api)
    {
        var coupons = api.MapGroup("/coupons").WithTags("Billing").RequireAdmin();
        coupons.MapPost("/", Create).WithSummary("Create a coupon: percent_off or amount_off (with its currency), once, repeating for duration_in_months, or forever; applied before tax.");
        coupons.MapGet("/", async (CouponStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct))).WithSummary("List coupons, newest first.");
        coupons.MapGet("/{code}", Get).WithSummary("Get a coupon with how many times it was redeemed.");
        coupons.MapDelete("/{code}", Archive).WithSummary("Archive a coupon: it can no longer be redeemed; subscriptions that hold it keep its terms.");
        return api;
    }

    static async Task<Results<Created<Coupon>, ProblemHttpResult>> Create(Caller caller, CouponStore store, CouponSpec request, CancellationToken ct) =>
        (await store.CreateAsync(request, caller.Actor, ct)).ToCreated(c => $"/api/v1/coupons/{c.Code}");

    static async Task<Results<Ok<Coupon>, ProblemHttpResult>> Get(CouponStore store, string code, CancellationToken ct) =>
        await store.GetAsync(code, ct) is { } coupon ? TypedResults.Ok(coupon) : ApiError.NotFound("coupon", code).ToProblem();

    static async Task<Results<Ok<Coupon>, ProblemHttpResult>> Archive(Caller caller, CouponStore store, string code, CancellationToken ct) =>
        (await store.ArchiveAsync(code, caller.Actor, ct)).ToOk();
}
