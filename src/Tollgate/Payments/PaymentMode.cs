namespace Tollgate.Payments;

/// <summary>
/// Live or test: which of a provider's credentials a call is made with (docs/payments.md, "Test mode"). Entered where
/// a flow begins: a checkout by the caller's key, a charge, refund or portal by the customer's payment account, a
/// webhook by the secret that signed it. It flows down the calls made from there, as the billing clock does.
/// </summary>
public static class PaymentMode
{
    static readonly AsyncLocal<bool> Test = new();

    public static bool IsTest => Test.Value;

    /// <summary>How a mode is written on a payment account: <c>live</c> or <c>test</c>.</summary>
    public static string Text => IsTest ? "test" : "live";

    public static void Enter(bool test) => Test.Value = test;

    /// <summary>Enters the mode an account is written in (anything but <c>test</c> is live).</summary>
    public static void Enter(string? mode) => Test.Value = mode == "test";
}
