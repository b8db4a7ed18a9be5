using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Entitlements.Grants;

/// <summary>Checks a grant request and gives the grant it asks for; no I/O.</summary>
public static class GrantRules
{
    public const long MaxAmount = 1_000_000_000_000_000;
    public const int MaxDays = 3650;

    /// <summary>How far back a grant may start: usage is drawn from it period by period since then.</summary>
    public const int MaxBackdateDays = 366;

    /// <summary>
    /// Grants add units to quotas whose metric counts or sums, since only those are used up unit by unit;
    /// <paramref name="feature"/> and <paramref name="metric"/> are what the request's feature names, if anything.
    /// </summary>
    public static Result<Grant> Validate(GrantRequest request, string customerId, Feature? feature, Metric? metric, string id, DateTimeOffset now)
    {
        var v = new Validation();
        if (string.IsNullOrEmpty(request.Feature)) v.Add("feature", "is required: the code of the quota the units are for.");
        else if (feature is null) v.Add("feature", $"no feature '{request.Feature}' exists.");
        else if (feature.Type != FeatureType.Quota) v.Add("feature", $"'{feature.Code}' is not a quota; grants add units to quotas.");
        else if (metric is not { Aggregation: Aggregation.Count or Aggregation.Sum })
        {
            v.Add("feature", $"'{feature.Code}' is counted by a metric that neither counts nor sums, so its usage cannot be drawn from a grant.");
        }

        if (request.Amount is null) v.Add("amount", "is required: how many units.");
        else if (request.Amount is <= 0 or > MaxAmount) v.Add("amount", $"must be between 1 and {MaxAmount}.");
        if (request.ExpiresAt is not null && request.ExpiresInDays is not null) v.Add("expires_at", "give expires_at or expires_in_days, not both.");
        if (request.ExpiresInDays is < 1 or > MaxDays) v.Add("expires_in_days", $"must be between 1 and {MaxDays}.");

        var effective = request.EffectiveAt?.ToUniversalTime() ?? now;
        if (effective < now.AddDays(-MaxBackdateDays) || effective > now.AddDays(MaxDays))
        {
            v.Add("effective_at", $"must be within {MaxBackdateDays} days before now and {MaxDays} days after.");
            effective = now;
        }

        if (request.ExpiresAt is { } asked && asked > now.AddDays(2 * MaxDays)) v.Add("expires_at", $"must be within {2 * MaxDays} days from now.");
        var expires = request.ExpiresAt?.ToUniversalTime() ?? (request.ExpiresInDays is { } days and >= 1 and <= MaxDays ? effective.AddDays(days) : null);
        if (expires is { } end && end <= effective) v.Add("expires_at", "must be after effective_at.");
        v.Text("reference", request.Reference, false, 200);
        v.Text("note", request.Note, false, 1000);
        if (v.Failed) return v.ToError();

        return new Grant(id, customerId, feature!.Code, request.Kind ?? GrantKind.Grant, request.Amount!.Value, effective, expires, null,
            string.IsNullOrWhiteSpace(request.Reference) ? null : request.Reference, request.Note, now);
    }

    /// <summary>Where a grant stands at <paramref name="now"/>, given what is left of it.</summary>
    public static string StatusOf(Grant grant, decimal remaining, DateTimeOffset now) =>
        grant.VoidedAt is { } voided && voided <= now ? GrantStatus.Voided
        : grant.EffectiveAt > now ? GrantStatus.Scheduled
        : grant.EndsAt is { } end && end <= now ? GrantStatus.Expired
        : remaining <= 0 ? GrantStatus.UsedUp
        : GrantStatus.Active;

    /// <summary>Whether a retried request names the same grant as the one already stored under its reference.</summary>
    public static bool SameGrant(Grant stored, Grant asked) =>
        stored.Feature == asked.Feature && stored.Amount == asked.Amount && stored.Kind == asked.Kind;
}
