using Benchmarks;

// One command per benchmark: dotnet run -c Release --project tests/Benchmarks -- <name> [--key value ...]
var arguments = new Arguments(args.Skip(1).ToArray());
switch (args.FirstOrDefault())
{
    case "inbox":
        await InboxBenchmark.RunAsync(arguments);
        break;
    default:
        Console.WriteLine("usage: dotnet run -c Release --project tests/Benchmarks -- inbox [--events 1000000] [--concurrency 256] [--redis host:port]");
        return 2;
}
return 0;
