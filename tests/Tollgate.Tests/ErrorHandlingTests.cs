using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Common;
using Tollgate.Operations;

namespace Tollgate.Tests;

public class ErrorHandlingTests
{
    [Fact]
    public async Task A_failed_dependency_is_a_503_to_retry_with_its_own_code()
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();

        var handled = await new ErrorHandling(NullLogger<ErrorHandling>.Instance)
            .TryHandleAsync(context, new UnavailableException("events_unavailable", "Retry."), CancellationToken.None);

        handled.ShouldBeTrue();
        context.Response.StatusCode.ShouldBe(503);
        context.Response.Headers.RetryAfter.ToString().ShouldBe("1");
        context.Response.Body.Position = 0;
        JsonNode.Parse(context.Response.Body)!["code"]!.GetValue<string>().ShouldBe("events_unavailable");
    }
}
