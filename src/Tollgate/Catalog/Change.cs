namespace Tollgate.Catalog;

/// <summary>What writing a spec did: the basis of idempotent catalog apply.</summary>
public enum Change
{
    Created,
    Updated,
    Unchanged,
}
