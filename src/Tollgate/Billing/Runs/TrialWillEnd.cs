namespace Tollgate.Billing.Runs;

/// <summary>The <c>subscription.trial_will_end</c> event, three days before a trial ends.</summary>
public sealed record TrialWillEnd(string SubscriptionId, DateTimeOffset TrialEnd);
