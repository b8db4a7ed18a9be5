namespace Tollgate.Payments.Providers;

/// <summary>The payment providers Tollgate speaks to. <see cref="Test"/> is built in: it completes checkouts at a local page, offline.</summary>
public enum PaymentProviderName
{
    Stripe,
    Razorpay,
    Paddle,
    LemonSqueezy,
    Test,
}

public static class PaymentProviderNames
{
    /// <summary>How a provider is written in the API, the database, its webhook path and its configuration section.</summary>
    public static string Text(this PaymentProviderName provider) => provider switch
    {
        PaymentProviderName.Stripe => "stripe",
        PaymentProviderName.Razorpay => "razorpay",
        PaymentProviderName.Paddle => "paddle",
        PaymentProviderName.LemonSqueezy => "lemonsqueezy",
        _ => "test",
    };

    public static PaymentProviderName? Parse(string? text) => text?.ToLowerInvariant() switch
    {
        "stripe" => PaymentProviderName.Stripe,
        "razorpay" => PaymentProviderName.Razorpay,
        "paddle" => PaymentProviderName.Paddle,
        "lemonsqueezy" => PaymentProviderName.LemonSqueezy,
        "test" => PaymentProviderName.Test,
        _ => null,
    };

    /// <summary>How a provider's name is written for people: on an invoice's page.</summary>
    public static string DisplayName(this PaymentProviderName provider) => provider switch
    {
        PaymentProviderName.Stripe => "Stripe",
        PaymentProviderName.Razorpay => "Razorpay",
        PaymentProviderName.Paddle => "Paddle",
        PaymentProviderName.LemonSqueezy => "Lemon Squeezy",
        _ => "the test provider",
    };

    /// <summary>Whether the provider sells as merchant of record: it invoices the customer and charges its own tax.</summary>
    public static bool IsMerchantOfRecord(this PaymentProviderName provider) => provider is PaymentProviderName.Paddle or PaymentProviderName.LemonSqueezy;
}
