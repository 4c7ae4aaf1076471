import GarrisonHost
print(GarrisonVersion.string)
