namespace Tollgate.Billing.Runs;

/// <summary>
/// How a run bills many subscriptions: a batch to a transaction, and a batch that fails billed again one subscription
/// at a time, so that one that cannot be billed holds up no other; what fails on its own is reported, and left for the
/// next run (its transaction rolled back: nothing of it was billed).
/// </summary>
static class Batches
{
    public static Task BillAsync(
        IEnumerable<string[]> batches, int parallelism, Func<string[], CancellationToken, Task> bill,
        Action<Exception, int> batchFailed, Action<Exception, string> failed, CancellationToken ct) =>
        Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (batch, ct) =>
        {
            try
            {
                await bill(batch, ct);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (batch.Length == 1)
                {
                    failed(e, batch[0]);
                    return;
                }

                batchFailed(e, batch.Length);
            }

            foreach (var id in batch)
            {
                try
                {
                    await bill([id], ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed(e, id);
                }
            }
        });
}
