using Fabric.Appliance.Metrics;
using Fabric.Appliance.Tests.Api;

namespace Fabric.Appliance.Tests.Metrics;

public sealed class ApplianceMetricsTests
{
    [Theory]
    [InlineData("GET", "GET")]
    [InlineData("get", "GET")]
    [InlineData("PATCH", "PATCH")]
    [InlineData("OPTIONS", "OPTIONS")]
    [InlineData("FROBNICATE", "other")]
    [InlineData("PROPFIND", "other")]
    [InlineData("GET2", "other")]
    public void MethodLabel_Method_StandardByNameElseOther(string method, string label) =>
        Assert.Equal(label, ApplianceMetrics.MethodLabel(method));

    [Fact]
    public async Task Request_UnknownMethods_CountedAsOther()
    {
        await using var host = await ApplianceHost.StartAsync();
        for (int i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod($"FROB{i}"), "/api/v1/nodes");
            using var response = await host.Client.SendAsync(request);
        }

        var text = await host.Client.GetStringAsync("/metrics");

        Assert.DoesNotContain("FROB", text, StringComparison.Ordinal);
        var other = text.Split('\n').Where(l => l.StartsWith("fabric_http_requests_total{method=\"other\"", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(other);
        Assert.Equal(3, other.Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
    }
}
