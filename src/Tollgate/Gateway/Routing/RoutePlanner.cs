namespace Tollgate.Gateway.Routing;

/// <summary>
/// Orders the deployments a request may try: the alias's own deployments in a weighted random order, then each
/// fallback alias's, without repeats, cut to the retry budget. Pure, so it is tested with a seeded random source.
/// </summary>
public static class RoutePlanner
{
    public static IReadOnlyList<Deployment> Plan(ModelRoute route, Func<string, ModelRoute?> find, int maxAttempts, Random random)
    {
        var plan = new List<Deployment>(Math.Min(maxAttempts, 4));
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { route.Alias };
        AddWeighted(plan, route.Deployments, maxAttempts, random);
        foreach (var alias in route.Fallbacks)
        {
            if (plan.Count >= maxAttempts) break;
            if (!seen.Add(alias) || find(alias) is not { } fallback) continue;
            AddWeighted(plan, fallback.Deployments, maxAttempts, random);
        }

        return plan;
    }

    static void AddWeighted(List<Deployment> plan, IReadOnlyList<Deployment> deployments, int maxAttempts, Random random)
    {
        if (deployments.Count == 1)
        {
            if (plan.Count < maxAttempts) plan.Add(deployments[0]);
            return;
        }

        var left = deployments.Where(d => d.Weight > 0).ToList();
        while (left.Count > 0 && plan.Count < maxAttempts)
        {
            var total = left.Sum(d => d.Weight);
            var pick = random.Next(total);
            var index = 0;
            while (pick >= left[index].Weight)
            {
                pick -= left[index].Weight;
                index++;
            }

            plan.Add(left[index]);
            left.RemoveAt(index);
        }
    }
}
