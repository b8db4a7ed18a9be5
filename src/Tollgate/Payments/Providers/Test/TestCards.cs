namespace Tollgate.Payments.Providers.Test;

/// <summary>What a test card does, as Stripe's test cards of the same numbers do.</summary>
public enum TestCardBehaviour
{
    /// <summary>Every charge succeeds.</summary>
    Succeeds,

    /// <summary>Saved without a charge (a trial's checkout), but every charge is declined: renewals go to dunning.</summary>
    DeclinesCharges,

    /// <summary>Declined at once: nothing is charged or saved.</summary>
    Declined,
}

public sealed record TestCard(string Number, string PaymentMethod, TestCardBehaviour Behaviour, string Label);

/// <summary>The built-in test provider's cards (docs/payments.md, "The test provider"). A payment method is <c>tpm_</c> and the card's last four digits.</summary>
public static class TestCards
{
    public static readonly IReadOnlyList<TestCard> All =
    [
        new("4242 4242 4242 4242", "tpm_4242", TestCardBehaviour.Succeeds, "Succeeds"),
        new("4000 0000 0000 0341", "tpm_0341", TestCardBehaviour.DeclinesCharges, "Saved, but its charges are declined"),
        new("4000 0000 0000 0002", "tpm_0002", TestCardBehaviour.Declined, "Declined"),
    ];

    public const string DeclineCode = "card_declined";
    public const string DeclineMessage = "Your card was declined.";

    public static TestCard? Find(string? paymentMethod) => All.FirstOrDefault(c => c.PaymentMethod == paymentMethod);

    /// <summary>Whether a charge of <paramref name="amount"/> with the card succeeds (a charge of nothing only saves the card).</summary>
    public static bool Charges(TestCard card, long amount) =>
        card.Behaviour == TestCardBehaviour.Succeeds || (card.Behaviour == TestCardBehaviour.DeclinesCharges && amount == 0);
}
