using Tollgate.ApiKeys;
using Tollgate.Billing.Runs;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Entitlements;
using Tollgate.Entitlements.Access;

namespace Tollgate.Portal;

/// <summary>
/// What the portal's pages show and do, for one customer: always the session's, so one customer's portal never reads
/// or changes another's. The changes go through the same services as the API (billing, keys, team), audited with
/// the member (or the customer's link) as the actor.
/// </summary>
public sealed class PortalData(
    CustomerStore customers, SubscriptionStore subscriptions, PlanStore plans, CustomerAccessCache access, EntitlementChecker entitlements,
    InvoiceRunner runner, ApiKeyStore keys, MemberStore members, InvitationStore invitations, PortalSessions sessions, TimeProvider time)
{
    /// <summary>The subscription the portal works on: the customer's newest that gives access.</summary>
    public async Task<Subscription?> LiveSubscriptionAsync(string customerId, CancellationToken ct) =>
        (await subscriptions.ListAsync(customerId, null, new PageRequest(100, null), ct)).Data.Where(s => s.GivesAccess).OrderByDescending(s => s.CreatedAt).FirstOrDefault();

    public async Task<OverviewModel> OverviewAsync(string customerId, string? flash, CancellationToken ct)
    {
        var customer = await customers.GetAsync(customerId, ct);
        var live = await LiveSubscriptionAsync(customerId, ct);
        var plan = live is null ? null : await plans.GetAsync(live.Plan, ct);
        var quotas = new List<QuotaUse>();
        if (await access.GetAsync(customerId, ct) is { } entry)
        {
            foreach (var d in await entitlements.ListAsync(entry, ct))
            {
                if (d.Unlimited || d.Limit is not { } limit || d.Used is not { } used) continue;
                var total = checked(limit + (d.Granted ?? 0));
                var percent = total <= 0 ? 100 : (int)Math.Min(999, Math.Floor(used * 100 / total));
                quotas.Add(new QuotaUse(d.Feature, used, total, percent, d.ResetsAt));
            }
        }

        return new OverviewModel(customer?.Name ?? customerId, live, plan?.Name, quotas, flash);
    }

    public async Task<PlanModel> PlansAsync(string customerId, CancellationToken ct)
    {
        var live = await LiveSubscriptionAsync(customerId, ct);
        if (live is null) return new PlanModel(null, [], null, null, null);
        var choices = new List<PlanChoice>();
        foreach (var plan in (await plans.ListAsync(false, new PageRequest(100, null), ct)).Data)
        {
            if (plan.CurrentVersion is not { } version || await plans.GetVersionAsync(plan.Code, version, ct) is not { } current) continue;
            if (SubscriptionRules.PriceOf(current, live.Interval, live.Currency) is not { } amount) continue;
            choices.Add(new PlanChoice(plan.Code, plan.Name, plan.Description, amount, live.Currency, live.Interval, plan.Code == live.Plan));
        }

        return new PlanModel(live, [.. choices.OrderBy(c => c.Amount).ThenBy(c => c.Code, StringComparer.Ordinal)], null, null, null);
    }

    /// <summary>What moving to <paramref name="planCode"/> now would bill: the billing engine's own preview, storing nothing.</summary>
    /// <remarks>The preview's instant is kept with the session (<see cref="PortalSessions.RememberPreviewAsync"/>) for the confirmation.</remarks>
    public async Task<PlanModel> PreviewAsync(PortalVisitor visitor, string? planCode, Actor actor, CancellationToken ct)
    {
        var model = await PlansAsync(visitor.CustomerId, ct);
        var chosen = model.Plans.FirstOrDefault(p => p.Code == planCode && !p.Current);
        if (model.Subscription is not { } live || chosen is null) return model with { Error = "Choose one of the plans below." };
        var preview = await subscriptions.ChangeAsync(live.Id, Request(chosen.Code, preview: true, null), actor, ct);
        if (!preview.IsOk) return model with { Error = preview.Error.Message };
        await sessions.RememberPreviewAsync(visitor.SessionId, chosen.Code, preview.Value.ProrationDate, ct);
        return model with { Chosen = chosen, Preview = preview.Value };
    }

    /// <summary>
    /// The change, prorated at the instant this session previewed it at (within <see cref="PortalSessions.PreviewHolds"/>),
    /// so the two agree to the cent, or else now; never at an instant the browser names. Its invoice is made at once.
    /// </summary>
    public async Task<Result<SubscriptionChange>> ChangeAsync(PortalVisitor visitor, string? planCode, Actor actor, CancellationToken ct)
    {
        var model = await PlansAsync(visitor.CustomerId, ct);
        if (model.Subscription is not { } live || model.Plans.FirstOrDefault(p => p.Code == planCode && !p.Current) is not { } chosen)
            return ApiError.Invalid("plan", "must be one of the plans offered.");
        var previewedAt = await sessions.TakePreviewAsync(visitor.SessionId, chosen.Code, ct);
        await runner.BillDueAsync(live.Id, actor, ct);
        return await subscriptions.ChangeAsync(live.Id, Request(chosen.Code, preview: false, previewedAt), actor, ct);
    }

    static ChangeSubscriptionRequest Request(string plan, bool preview, DateTimeOffset? prorationDate) =>
        new(Plan: plan, Timing: ChangeTiming.Now, Proration: ProrationBehavior.InvoiceNow, Preview: preview, ProrationDate: prorationDate);

    public async Task<IReadOnlyList<ApiKeyView>> KeysAsync(string customerId, CancellationToken ct) =>
        (await keys.ListAsync(customerId, KeyKind.Customer, new PageRequest(100, null), ct)).Data;

    /// <summary>A key of the customer's, with the customer keys' default scopes, in the mode of the portal's session.</summary>
    public async Task<Result<ApiKeyView>> CreateKeyAsync(PortalVisitor visitor, string? name, Actor actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100) return ApiError.Invalid("name", "is required, at most 100 characters.");
        return await keys.CreateAsync(new NewKey(KeyKind.Customer, visitor.Mode, visitor.CustomerId, name.Trim(), "made in the portal", Scopes.Defaults(KeyKind.Customer), null), actor, ct);
    }

    public async Task<Result<ApiKeyView>> RotateKeyAsync(PortalVisitor visitor, string id, Actor actor, CancellationToken ct)
    {
        if (await OwnKeyAsync(visitor, id, ct) is null) return ApiError.NotFound("key", id);
        return await keys.RotateAsync(id, new Rotation(KeyPolicy.DefaultOverlap, null), actor, ct);
    }

    public async Task<Result<ApiKeyView>> RevokeKeyAsync(PortalVisitor visitor, string id, Actor actor, CancellationToken ct)
    {
        if (await OwnKeyAsync(visitor, id, ct) is null) return ApiError.NotFound("key", id);
        return await keys.RevokeAsync(id, actor, ct);
    }

    /// <summary>
    /// Whether the portal may rotate or revoke <paramref name="key"/>: one of the customer's, in the session's mode,
    /// holding no scope beyond what the portal gives a new key. A key the operator made with more (keys:write, say)
    /// stays the operator's: rotating it would hand its wider secret to whoever is in the portal.
    /// </summary>
    public static bool Manages(PortalVisitor visitor, ApiKeyView key) =>
        key.Kind == KeyKind.Customer && key.CustomerId == visitor.CustomerId && key.Mode == visitor.Mode
        && key.Scopes.All(s => Scopes.Defaults(KeyKind.Customer).Contains(s));

    async Task<ApiKeyView?> OwnKeyAsync(PortalVisitor visitor, string id, CancellationToken ct) =>
        await keys.GetAsync(id, ct) is { } key && Manages(visitor, key) ? key : null;

    public async Task<TeamModel> TeamAsync(string customerId, string? invitationLink, string? error, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var team = await members.ListAsync(customerId, new PageRequest(100, null), ct);
        var waiting = (await invitations.ListAsync(customerId, new PageRequest(100, null), ct)).Data
            .Where(i => TeamRules.StatusAt(i.Status, i.ExpiresAt, now) == InvitationStatus.Pending).ToList();
        return new TeamModel(team.Data, waiting, invitationLink, error);
    }
}
