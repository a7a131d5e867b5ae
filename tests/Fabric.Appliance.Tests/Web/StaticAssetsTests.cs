using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Fabric.Appliance.Tests.Web;

public sealed class StaticAssetsTests
{
    [Theory]
    [InlineData("/css/fabric.css", "text/css")]
    [InlineData("/js/htmx.min.js", "javascript")]
    public async Task Get_ContentRootWithoutWwwroot_ServesEmbeddedAsset(string path, string type)
    {
        var contentRoot = Directory.CreateTempSubdirectory("fabric-web-root-").FullName;
        try
        {
            await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            {
                builder.UseEnvironment("Production");
                builder.UseContentRoot(contentRoot);
                builder.UseSetting("Fabric:DataDir", Path.Combine(contentRoot, "data"));
                builder.UseSetting("Fabric:AdminToken", "static-assets-test-token");
            });
            using var client = factory.CreateClient();

            using var response = await client.GetAsync(path);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(type, response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 1000);
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }
}
