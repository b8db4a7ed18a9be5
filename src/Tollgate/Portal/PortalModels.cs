using Tollgate.ApiKeys;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;
using Tollgate.Customers;

namespace Tollgate.Portal;

/// <summary>One quota of the period: used of limit (with this period's grants), the share, and when it resets.</summary>
public sealed record QuotaUse(string Feature, decimal Used, long Limit, int Percent, DateTimeOffset? ResetsAt);

/// <summary>The portal's first page: the plan, every quota against its limit, and whether to offer an upgrade (a quota at 80 % or more).</summary>
public sealed record OverviewModel(string CustomerName, Subscription? Subscription, string? PlanName, IReadOnlyList<QuotaUse> Quotas, string? Flash)
{
    public const int UpgradeAt = 80;

    public bool OffersUpgrade => Quotas.Any(q => q.Percent >= UpgradeAt);
}

/// <summary>A plan the customer may move to, priced in its subscription's currency and interval.</summary>
public sealed record PlanChoice(string Code, string Name, string? Description, long Amount, string Currency, BillingInterval Interval, bool Current);

/// <summary>The plan page: the choices, and, after "preview", exactly what the change would bill (and the instant it is prorated at).</summary>
public sealed record PlanModel(Subscription? Subscription, IReadOnlyList<PlanChoice> Plans, PlanChoice? Chosen, SubscriptionChange? Preview, string? Error);

public sealed record InvoicesModel(IReadOnlyList<Invoice> Invoices, string? Flash);

/// <summary>The keys page; <see cref="Secret"/> only in the answer to creating or rotating one, shown once.</summary>
public sealed record KeysModel(IReadOnlyList<ApiKeyView> Keys, ApiKeyView? Created, string? Flash);

/// <summary>The team page; <see cref="InvitationLink"/> only in the answer to inviting, shown once.</summary>
public sealed record TeamModel(IReadOnlyList<Member> Members, IReadOnlyList<Invitation> Invitations, string? InvitationLink, string? Error);
