namespace Tollgate.ApiKeys;

/// <summary>An admin key is the operator's and may do everything; a customer key acts for one customer.</summary>
public enum KeyKind
{
    Customer,
    Admin,
}

/// <summary>Live keys touch real money and real providers; test keys the sandbox, as in Stripe.</summary>
public enum KeyMode
{
    Live,
    Test,
}
