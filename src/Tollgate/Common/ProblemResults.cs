using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Tollgate.Common;

/// <summary>The one place an <see cref="ApiError"/> becomes an HTTP answer: problem+json with a stable code.</summary>
public static class ProblemResults
{
    public static ProblemHttpResult ToProblem(this ApiError error)
    {
        var problem = new ProblemDetails
        {
            Type = $"urn:tollgate:error:{error.Code}",
            Title = ReasonPhrases.GetReasonPhrase(error.Status),
            Status = error.Status,
            Detail = error.Message,
        };
        problem.Extensions["code"] = error.Code;
        if (error.Errors is not null) problem.Extensions["errors"] = error.Errors;
        return TypedResults.Problem(problem);
    }

    public static Task WriteAsync(HttpContext context, ApiError error) => error.ToProblem().ExecuteAsync(context);

    public static Results<Ok<T>, ProblemHttpResult> ToOk<T>(this Result<T> result) =>
        result.IsOk ? TypedResults.Ok(result.Value) : result.Error.ToProblem();

    public static Results<Created<T>, ProblemHttpResult> ToCreated<T>(this Result<T> result, Func<T, string> location) =>
        result.IsOk ? TypedResults.Created(location(result.Value), result.Value) : result.Error.ToProblem();
}
