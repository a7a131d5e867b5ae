using Fabric.Jobs.Running;
using Fabric.Jobs.Tests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fabric.Jobs.Tests;

public sealed class JobsOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, string databasePath)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFabricJobs(configuration, _ => databasePath);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddFabricJobs_NoSettings_DefaultsAndTheWaitKind()
    {
        using var db = new TestDatabase();
        using var provider = Build([], db.Path);

        Assert.Equal(JobsOptions.DefaultMaxParallel, provider.GetRequiredService<IOptions<JobsOptions>>().Value.MaxParallel);
        Assert.Equal(["wait"], provider.GetRequiredService<IJobService>().Kinds);
        Assert.Same(provider.GetRequiredService<IJobService>(), provider.GetServices<IHostedService>().Single());
    }

    [Fact]
    public void AddFabricJobs_MaxParallelSet_Used()
    {
        using var db = new TestDatabase();
        using var provider = Build(new() { ["Fabric:Jobs:MaxParallel"] = "12" }, db.Path);

        Assert.Equal(12, provider.GetRequiredService<IOptions<JobsOptions>>().Value.MaxParallel);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("many")]
    [InlineData("257")]
    public void AddFabricJobs_BadMaxParallel_ValidationNamesTheKey(string value)
    {
        using var db = new TestDatabase();
        using var provider = Build(new() { ["Fabric:Jobs:MaxParallel"] = value }, db.Path);

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<JobsOptions>>().Value);
        Assert.Equal($"Fabric:Jobs:MaxParallel: '{value}' is not a whole number from 1 to 256", Assert.Single(e.Failures));
    }
}
